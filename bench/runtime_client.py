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


def _spawn(python: Path, module: str, handler: str, api: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [str(python), "-m", module, handler],
        cwd=HANDLERS,
        env=_env(api),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def startup_ms(python: Path, module: str, runs: int) -> float:
    """Median wall time from process start to its first GET /next, in ms."""
    samples = []
    for _ in range(runs):
        with RuntimeAPIServer() as api:
            started = time.monotonic()
            proc = _spawn(python, module, "echo.handler", api.address)
            try:
                first = api.wait_first_next(30)
                if first is None:
                    raise RuntimeError(f"{module} never called /next")
                samples.append((first - started) * 1000)
            finally:
                proc.kill()
                proc.wait()
    return statistics.median(samples)


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
