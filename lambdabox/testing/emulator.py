"""Run the emulator in a background thread for tests, and call it over real HTTP."""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import requests

from lambdabox.emulator.config import EmulatorConfig, FunctionConfig
from lambdabox.harness import BackgroundEmulator

SCENARIOS = Path(__file__).parent / "scenarios"


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
    return (sys.executable, "-m", "runtime_interface", handler)


@contextmanager
def emulator(
    command: Sequence[str],
    *,
    cwd: Path = SCENARIOS / "emulator",
    timeout_s: float = 30,
    max_concurrency: int = 1,
    runtime_concurrency: int = 1,
    env: dict[str, str] | None = None,
    eager: bool = True,
    memory_mb: int = 256,
    extensions_dir: Path | None = None,
    init_timeout_s: float = 10.0,
) -> Iterator[RunningEmulator]:
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
    )
    running = RunningEmulator(config)
    running.start()
    try:
        yield running
    finally:
        running.stop()
