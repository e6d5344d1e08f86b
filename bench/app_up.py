"""`lambdabox up`: from the command's start to the first answered request.

Process and container mode, on the two-function application of the tests
(tests/scenarios/app_two_functions): the time from spawning `lambdabox up` to the first
invocation answered through its Invoke API, and, when the HTTP front is installed, to the
first HTTP answer of an application with an HttpApi route. Container mode is measured with
the images already built (the builder's cache warm), as in a developer's loop.

    python -m bench.app_up          # BENCH_QUICK=1: fewer runs
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from lambdabox.services.moto_server import free_port

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "tests" / "scenarios" / "app_two_functions"
HTTP_ROUTE = """
      Events:
        Hello: {Type: HttpApi, Properties: {Path: /hello, Method: GET}}
"""


def _first_answer(folder: Path, mode: str, http: bool) -> float:
    """Seconds from spawning `lambdabox up` to its first answered request."""
    port, http_port = free_port(), free_port()
    argv = [sys.executable, "-m", "lambdabox", "up", "--mode", mode, "--no-watch"]
    argv += ["--port", str(port), "--http-port", str(http_port)]
    invoke = f"http://127.0.0.1:{port}/2015-03-31/functions/HelloFunction/invocations"

    def send() -> requests.Response:
        if http:
            return requests.get(f"http://127.0.0.1:{http_port}/hello", timeout=5)
        return requests.post(invoke, data=b"{}", timeout=5)

    started = time.monotonic()
    proc = subprocess.Popen(argv, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"lambdabox up exited with {proc.returncode} in {folder}")
            try:
                if send().status_code == 200:
                    return time.monotonic() - started
            except requests.ConnectionError:
                time.sleep(0.005)
            if time.monotonic() - started > 300:
                raise RuntimeError("no answer within 300 s")
    finally:
        proc.terminate()
        proc.wait(60)


def _app(folder: Path, http: bool) -> Path:
    target = folder / ("http" if http else "plain")
    shutil.copytree(SCENARIO, target)
    if http:
        template = target / "template.yaml"
        anchor = "      Handler: app.handler\n      Layers:"
        text = template.read_text().replace(anchor, HTTP_ROUTE.lstrip("\n") + anchor, 1)
        template.write_text(text)
    return target


def measure(quick: bool) -> dict[str, float]:
    """Median ms from spawning `lambdabox up` to its first answer, per mode (and per
    request kind when the HTTP front is installed)."""
    runs = 2 if quick else 5
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="bench-up-") as temp:
        for kind in (False, True) if _has_http_front() else (False,):
            folder = _app(Path(temp), kind)
            for mode in ("process", "container"):
                _first_answer(folder, mode, kind)  # container mode: builds the images once
                times = [_first_answer(folder, mode, kind) for _ in range(runs)]
                name = f"up_{mode}_first_{'http' if kind else 'invoke'}_ms"
                figures[name] = statistics.median(times) * 1000
    return figures


def _has_http_front() -> bool:
    return importlib.util.find_spec("lambdabox.triggers.http") is not None


LABELS = {
    "up_process_first_invoke_ms": "lambdabox up, process mode, first invoke",
    "up_container_first_invoke_ms": "lambdabox up, container mode, first invoke",
    "up_process_first_http_ms": "lambdabox up, process mode, first HTTP answer",
    "up_container_first_http_ms": "lambdabox up, container mode, first HTTP answer",
}


def report(figures: dict[str, float]) -> None:
    """Print the figures (no anchor: SAM has no multi-function local equivalent measured)."""
    print(f"\n{'lambdabox up: start to first answer':<48} {'median':>10}")
    for name, value in figures.items():
        print(f"{LABELS.get(name, name):<48} {value:>8.0f} ms")
    if not _has_http_front():
        print("(the HTTP front is not installed: start-to-first-HTTP-answer not measured)")


def main() -> int:
    figures = measure(os.environ.get("BENCH_QUICK") == "1")
    report(figures)
    out = ROOT / ".bench" / "app_up.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
