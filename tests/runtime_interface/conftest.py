"""Fixtures for the client's tests: the strict Runtime API server, the client as a subprocess."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from lambdabox.testing import RuntimeAPIServer
from lambdabox.testing.runtime_process import RuntimeProcess, runtime_env

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


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
