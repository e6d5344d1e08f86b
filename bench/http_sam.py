"""`sam local start-api` next to `lambdabox up`, on one template and one image.

The template: one Image function (the test image, built locally: no registry is reachable)
with an HTTP API route `GET /hello`. SAM CLI (from PyPI, in the bench venv) serves it with
`--warm-containers EAGER`, its containers on the host network (bench/sam_host.py: Docker
here has no bridge); `lambdabox up --mode container` serves the same template. Both are
called the same way: a new HTTP connection per request (SAM's Flask server speaks
HTTP/1.0), sequentially and from 8 callers. Bounded: a fixed count of sequential requests
and a few seconds of parallel load per side.
"""

from __future__ import annotations

import http.client
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench import _venvs, container_mode
from bench.sam_local import SAM_HOST, serving
from lambdabox.testing.processes import free_port

TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Function:
    Type: AWS::Serverless::Function
    Properties:
      PackageType: Image
      ImageUri: {image}
      Timeout: 30
      MemorySize: 256
      Events:
        Hello:
          Type: HttpApi
          Properties: {{Path: /hello, Method: get}}
"""


def _get(port: int) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", "/hello")
        resp = conn.getresponse()
        resp.read()
        return resp.status
    finally:
        conn.close()


def _sequential(port: int, count: int) -> float:
    for _ in range(3):
        _get(port)
    started = time.perf_counter()
    for _ in range(count):
        status = _get(port)
        if status != 200:
            raise RuntimeError(f"GET /hello answered {status}")
    return count / (time.perf_counter() - started)


def _parallel(port: int, callers: int, seconds: float) -> float:
    done = [0] * callers
    stop = time.monotonic() + seconds

    def caller(index: int) -> None:
        while time.monotonic() < stop:
            if _get(port) == 200:
                done[index] += 1

    threads = [threading.Thread(target=caller, args=(i,)) for i in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done) / seconds


def _measure_one(
    argv: list[str], work: Path, marker: bytes, port: int, quick: bool
) -> tuple[float, float]:
    with serving(argv, work, marker, 240.0):
        seq = _sequential(port, 20 if quick else 60)
        par = _parallel(port, 8, 2.0 if quick else 4.0)
    return seq, par


def measure(quick: bool) -> tuple[dict[str, float], str | None]:
    """Figures for both sides, or the reason SAM could not be measured here."""
    try:
        sam = _venvs.sam_python()
        image = container_mode.test_image()
    except (OSError, RuntimeError, subprocess.CalledProcessError) as exc:
        return {}, f"sam local start-api: not measured: {exc}"
    r: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        (work / "template.yaml").write_text(TEMPLATE.format(image=image))
        up_port = free_port()
        up = [
            sys.executable, "-m", "lambdabox", "up", "--mode", "container", "--no-watch",
            "--port", str(free_port()), "--http-port", str(up_port), "--max-concurrency", "8",
        ]  # fmt: skip
        sam_port = free_port()
        start_api = [
            str(sam), str(SAM_HOST), "local", "start-api", "-t", "template.yaml",
            "--host", "127.0.0.1", "-p", str(sam_port), "--warm-containers", "EAGER",
            "--skip-pull-image", "--container-host", "127.0.0.1",
        ]  # fmt: skip
        try:
            seq, par = _measure_one(up, work, b"running; Ctrl-C stops", up_port, quick)
            r["http_sam_side_up_seq_per_s"], r["http_sam_side_up_par8_per_s"] = seq, par
            seq, par = _measure_one(start_api, work, b"Running on http", sam_port, quick)
            r["http_sam_seq_per_s"], r["http_sam_par8_per_s"] = seq, par
        except RuntimeError as exc:
            return r, f"sam local start-api: not measured: {exc}"
    return r, None


def report(r: dict[str, float], reason: str | None) -> bool:
    """Print the rows; True when a goal is missed (lambdabox up below 10x SAM)."""
    if reason is not None:
        print(reason)
        return False
    print(f"\n{'HTTP API route, same image, container mode':<44} {'lambdabox':>10} {'sam':>8}")
    missed = False
    for label, key in (("sequential", "seq"), ("8 callers in parallel", "par8")):
        ours, sam = r[f"http_sam_side_up_{key}_per_s"], r[f"http_sam_{key}_per_s"]
        ratio = ours / sam
        ok = ratio >= 10
        missed = missed or not ok
        print(
            f"{'requests/s, ' + label:<44} {ours:>10.1f} {sam:>8.1f} {ratio:>7.1f}x  "
            f"{'>= 10x':<7} {'ok' if ok else 'MISSED'}"
        )
    print(
        "  lambdabox up --mode container vs sam local start-api --warm-containers EAGER "
        "(aws-sam-cli from PyPI, containers on the host network: bench/sam_host.py); "
        "a new connection per request on both sides"
    )
    return missed
