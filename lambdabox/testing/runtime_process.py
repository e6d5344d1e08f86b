"""The runtime interface client as a real subprocess, for tests of the client itself.

`RuntimeProcess` is `python -m runtime_interface HANDLER` started in a scenario folder with
its output in a file; `runtime_env()` is the environment Lambda gives a runtime, pointed at
a Runtime API address (e.g. a `RuntimeAPIServer`'s).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

__all__ = ["RuntimeProcess", "runtime_env"]


class RuntimeProcess:
    """`python -m runtime_interface HANDLER` in a scenario folder, its output in a file."""

    def __init__(self, proc: subprocess.Popen[bytes], output: Path) -> None:
        self.proc = proc
        self.output_path = output

    def output(self) -> str:
        """Everything the process wrote so far (stdout and stderr), as text."""
        return self.output_path.read_bytes().decode("utf-8")

    def wait(self, timeout: float = 10.0) -> int:
        """Wait for the process to exit; its status."""
        return self.proc.wait(timeout)

    def stop(self) -> None:
        """Kill the process if it still runs."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)


def runtime_env(api_address: str, **extra: str) -> dict[str, str]:
    """A runtime's environment (function `scenario`, 512 MB) for the API at `api_address`."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "AWS_LAMBDA_RUNTIME_API": api_address,
        "AWS_LAMBDA_FUNCTION_NAME": "scenario",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
        "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/scenario",
        "AWS_LAMBDA_LOG_STREAM_NAME": "2026/11/27/[$LATEST]abc",
    }
    env.update(extra)
    return env
