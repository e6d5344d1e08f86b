"""The emulator in a background thread for tests, called over real HTTP.

`emulator(command)` runs a runtime command (e.g. `python_runtime("app.handler")`) in process
mode; `container_emulator(image, client)` runs an image in container mode (needs Docker)
and checks that no container outlives it. Both yield a `RunningEmulator`: the harness's
`BackgroundEmulator` plus a requests session and waits on its log lines.
"""

from __future__ import annotations

import asyncio
import json
import sys
import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

from lambdabox.emulator.config import EmulatorConfig, FunctionConfig
from lambdabox.emulator.container import RUN_LABEL, ContainerDriver
from lambdabox.harness import BackgroundEmulator

EMULATOR_SCENARIO = Path(__file__).resolve().parents[2] / "tests" / "scenarios" / "emulator"
"""The repository's scenario for the emulator's own tests: the default working folder."""


class RunningEmulator(BackgroundEmulator):
    """The harness's background emulator plus a requests session and log helpers."""

    def __init__(self, config: EmulatorConfig) -> None:
        super().__init__(config)
        self.session = requests.Session()

    def stop(self) -> None:
        try:
            super().stop()
        finally:
            self.session.close()

    def report(self, request_id: str = "", timeout: float = 10) -> str:
        """The REPORT line of an invocation (written just after its answer): waits for it."""
        return self.wait_for_line(f"REPORT RequestId: {request_id}", timeout=timeout)

    def wait_for_line(self, prefix: str, *, contains: str = "", timeout: float = 10) -> str:
        """The first log line starting with `prefix` (and holding `contains`): waits for it.

        Lines from a container arrive through Docker's log stream, independently of the
        emulator's own lines: an answer or a REPORT line does not mean they are in yet.
        """
        waiter = threading.Event()
        for _ in range(int(timeout / 0.01)):
            for line in list(self.lines):
                if line.startswith(prefix) and contains in line:
                    return line
            waiter.wait(0.01)
        raise AssertionError(f"no {prefix!r} line ({contains!r}) in the log:\n{self.log()}")

    def invoke(
        self,
        event: object = None,
        *,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 60,
    ) -> requests.Response:
        body = data if data is not None else json.dumps(event if event is not None else {}).encode()
        return self.session.post(self.url, data=body, headers=headers or {}, timeout=timeout)


def python_runtime(handler: str) -> tuple[str, ...]:
    """`python -m runtime_interface HANDLER` with this interpreter."""
    return (sys.executable, "-m", "runtime_interface", handler)


@contextmanager
def emulator(
    command: Sequence[str],
    *,
    cwd: Path = EMULATOR_SCENARIO,
    timeout_s: float = 30,
    max_concurrency: int = 1,
    runtime_concurrency: int = 1,
    env: dict[str, str] | None = None,
    eager: bool = True,
    memory_mb: int = 256,
    extensions_dir: Path | None = None,
    init_timeout_s: float = 10.0,
    runtime_api_peers: str = "own",
) -> Iterator[RunningEmulator]:
    """The emulator running `command` in process mode, on free ports; stopped on exit."""
    config = EmulatorConfig(
        command=tuple(command),
        cwd=str(cwd),
        handler=command[-1] if len(command) >= 2 else None,
        function=FunctionConfig(name="scenario", timeout_s=timeout_s, memory_mb=memory_mb),
        runtime_env=env or {},
        invoke_port=0,
        runtime_api_port=0,
        max_concurrency=max_concurrency,
        runtime_concurrency=runtime_concurrency,
        eager_init=eager,
        extensions_dir=str(extensions_dir) if extensions_dir else None,
        init_timeout_s=init_timeout_s,
        runtime_api_peers=runtime_api_peers,
    )
    running = RunningEmulator(config)
    running.start()
    try:
        yield running
    finally:
        running.stop()


def run_containers(client: Any, run_id: str) -> list[Any]:
    """The containers (running or not) of the `lambdabox run` with id `run_id`."""
    return list(client.containers.list(all=True, filters={"label": f"{RUN_LABEL}={run_id}"}))


class ContainerEmulator(RunningEmulator):
    """RunningEmulator whose driver is closed after the emulator, as `lambdabox run` does."""

    def __init__(self, config: EmulatorConfig, driver: ContainerDriver) -> None:
        super().__init__(config)
        self.driver = driver

    def stop(self) -> None:
        try:
            super().stop()
        finally:
            asyncio.run(self.driver.close())

    def containers(self) -> list[str]:
        return self.driver.created()


@contextmanager
def container_emulator(
    image: str,
    client: Any,
    *,
    timeout_s: float = 30,
    max_concurrency: int = 1,
    memory_mb: int = 256,
    eager: bool = True,
) -> Iterator[ContainerEmulator]:
    """The emulator in container mode for `image`; on exit, no container of it may remain."""
    run_id = f"t{uuid.uuid4().hex[:10]}"
    driver = ContainerDriver(image, run_id=run_id, memory_mb=memory_mb)
    config = EmulatorConfig(
        command=(),
        driver=driver,
        function=FunctionConfig(name="scenario", timeout_s=timeout_s, memory_mb=memory_mb),
        invoke_port=0,
        runtime_api_port=0,
        max_concurrency=max_concurrency,
        eager_init=eager,
    )
    running = ContainerEmulator(config, driver)
    running.start()
    try:
        yield running
    finally:
        running.stop()
        assert run_containers(client, run_id) == [], "a container outlived the emulator"
