"""Runtime interface client benchmarks: start-up and warm invokes, ours vs awslambdaric.

Both clients run as real processes against the same strict Runtime API server
(lambdabox.testing), installed and byte-compiled the same way.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from pathlib import Path

from lambdabox.testing import RuntimeAPIServer

HANDLERS = Path(__file__).resolve().parent / "handlers"


def _env(api: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "AWS_LAMBDA_RUNTIME_API": api,
        "AWS_LAMBDA_FUNCTION_NAME": "bench",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024",
    }


# `python -m` pays for runpy (~3 ms); the launcher form is what an image's bootstrap runs.
LAUNCHER = "import sys; from {module}.__main__ import main; sys.exit(main({argv}))"


def command(python: Path, module: str, handler: str, launcher: bool = False) -> list[str]:
    if not launcher:
        return [str(python), "-m", module, handler]
    argv = "" if module == "runtime_interface" else "sys.argv"
    return [str(python), "-c", LAUNCHER.format(module=module, argv=argv), handler]


def _spawn(
    python: Path, module: str, handler: str, api: str, launcher: bool = False
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        command(python, module, handler, launcher),
        cwd=HANDLERS,
        env=_env(api),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def startup_ms(python: Path, module: str, runs: int, launcher: bool = False) -> tuple[float, float]:
    """Medians in ms: process start to its first GET /next, and to its first response."""
    to_next, to_answer = [], []
    for _ in range(runs):
        with RuntimeAPIServer() as api:
            pending = api.enqueue(b'{"cold": true}')
            started = time.monotonic()
            proc = _spawn(python, module, "echo.handler", api.address, launcher)
            try:
                out = pending.wait(30)
                first = api.wait_first_next(0)
                if first is None or out.kind != "response":
                    raise RuntimeError(f"{module} did not start: {out.body[:200]!r}")
                to_next.append((first - started) * 1000)
                to_answer.append((out.received_at - started) * 1000)
            finally:
                proc.kill()
                proc.wait()
    return statistics.median(to_next), statistics.median(to_answer)


def invokes_per_second(
    python: Path, module: str, handler: str, event: bytes, count: int, warmup: int = 20
) -> float:
    """Sequential invokes per second through the server, after `warmup` invokes."""
    with RuntimeAPIServer(record_requests=False) as api:
        proc = _spawn(python, module, handler, api.address)
        try:
            for _ in range(warmup):
                api.enqueue(event).wait(30)
            started = time.perf_counter()
            for _ in range(count):
                out = api.enqueue(event).wait(30)
                if out.kind != "response":
                    raise RuntimeError(f"{module}: invoke failed: {out.body[:200]!r}")
            return count / (time.perf_counter() - started)
        finally:
            proc.kill()
            proc.wait()


def event_of(size: int) -> bytes:
    """A JSON object of exactly `size` bytes."""
    head = b'{"data":"'
    tail = b'"}'
    return head + b"x" * (size - len(head) - len(tail)) + tail
