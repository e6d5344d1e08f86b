"""The client's own work per warm invoke, without HTTP: `Runtime.handle` on 100 B and 1 MB
echo events, best of many rounds, in µs. Run by a venv's python as a script (it imports only
runtime_interface and bench/handlers), so two installs of the client compare exactly; the
HTTP side costs the same to both and only adds noise on a loaded machine.

    python bench/client_handle.py ROUNDS    ->  {"100B": µs, "1MB": µs}
"""

from __future__ import annotations

import importlib
import json
import sys
import time
from pathlib import Path
from typing import Any

from runtime_interface._config import Config
from runtime_interface._context import FunctionSettings
from runtime_interface._logging import LogConfig, StdoutSink
from runtime_interface._loop import Runtime
from runtime_interface._messages import InvocationRequest

HEADERS = {
    "lambda-runtime-aws-request-id": "8d511b0a-1111-2222-3333-444455556666",
    "lambda-runtime-invoked-function-arn": "arn:aws:lambda:us-east-1:012345678912:function:b",
    "lambda-runtime-trace-id": "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1",
    "content-type": "application/json",
}


class _Client:
    """Takes the posts a RuntimeAPIClient would send."""

    def post_response(self, inv: Any, body: bytes, content_type: str) -> None:
        self.body = body

    def post_error(self, inv: Any, error: Any) -> None:
        raise RuntimeError(error.to_dict())


def main(rounds: int) -> dict[str, float]:
    config = Config("echo.handler", "127.0.0.1:1", LogConfig(None, None), FunctionSettings({}))
    runtime = Runtime(config, _Client(), StdoutSink(config.log))  # type: ignore[arg-type]
    sys.path.insert(0, str(Path(__file__).resolve().parent / "handlers"))
    runtime.handler = importlib.import_module("echo").handler
    headers = dict(HEADERS, **{"lambda-runtime-deadline-ms": str(int(time.time() * 1e3) + 6e5)})
    best: dict[str, float] = {}
    for label, size, count in (("100B", 100, 3000), ("1MB", 1024 * 1024, 4)):
        body = b'{"data":"' + b"x" * (size - 11) + b'"}'
        for _ in range(rounds):
            started = time.perf_counter()
            for _ in range(count):
                runtime.handle(InvocationRequest(headers, body))
            took = (time.perf_counter() - started) / count * 1e6
            best[label] = min(best.get(label, took), took)
    return best


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 40)))
