"""Fixtures: the strict Runtime API server and the client as a real subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from lambdabox.testing import RuntimeAPIServer

SCENARIOS = Path(__file__).parent / "scenarios"


class RuntimeProcess:
    """`python -m runtime_interface HANDLER` in a scenario folder, its output in a file."""

    def __init__(self, proc: subprocess.Popen[bytes], output: Path) -> None:
        self.proc = proc
        self.output_path = output

    def output(self) -> str:
        return self.output_path.read_bytes().decode("utf-8")

    def wait(self, timeout: float = 10.0) -> int:
        return self.proc.wait(timeout)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)


def runtime_env(api_address: str, **extra: str) -> dict[str, str]:
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


@pytest.fixture
def api() -> Iterator[RuntimeAPIServer]:
    with RuntimeAPIServer() as server:
        yield server
        assert server.violations == [], server.violations


@pytest.fixture
def start_runtime(api: RuntimeAPIServer, tmp_path: Path) -> Iterator[Callable[..., RuntimeProcess]]:
    started: list[RuntimeProcess] = []

    def start(
        scenario: str,
        handler: str = "app.handler",
        *,
        env: dict[str, str] | None = None,
        pass_fds: tuple[int, ...] = (),
        address: str | None = None,
    ) -> RuntimeProcess:
        output = tmp_path / f"{scenario}-{len(started)}.log"
        with output.open("wb") as sink:
            proc = subprocess.Popen(
                [sys.executable, "-m", "runtime_interface", handler],
                cwd=SCENARIOS / scenario,
                env=runtime_env(address or api.address, **(env or {})),
                stdout=sink,
                stderr=subprocess.STDOUT,
                pass_fds=pass_fds,
            )
        runtime = RuntimeProcess(proc, output)
        started.append(runtime)
        return runtime

    yield start
    for runtime in started:
        runtime.stop()
