"""Run the emulator in a background thread for tests, and call it over real HTTP."""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import requests

from lambdabox.emulator.config import EmulatorConfig, FunctionConfig
from lambdabox.emulator.server import Emulator

SCENARIOS = Path(__file__).parent / "scenarios"


class RunningEmulator:
    """An emulator serving on 127.0.0.1 ports chosen by the OS, its log lines collected."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.lines: list[str] = []
        self._lock = threading.Lock()
        self.emulator = Emulator(config, log=self._collect)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self.session = requests.Session()

    def _collect(self, line: str) -> None:
        with self._lock:
            self.lines.extend(line.split("\n"))

    def report(self, request_id: str = "", timeout: float = 10) -> str:
        """The REPORT line of an invocation (written just after its answer): waits for it."""
        prefix = f"REPORT RequestId: {request_id}"
        waiter = threading.Event()
        for _ in range(int(timeout / 0.01)):
            with self._lock:
                found = [line for line in self.lines if line.startswith(prefix)]
            if found:
                return found[0]
            waiter.wait(0.01)
        raise AssertionError(f"no {prefix!r} line in the log:\n{self.log()}")

    def log(self) -> str:
        with self._lock:
            return "\n".join(self.lines)

    def start(self) -> None:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.emulator.start(), self._loop).result(30)

    def stop(self) -> None:
        try:
            asyncio.run_coroutine_threadsafe(self.emulator.close(), self._loop).result(30)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._loop.close()
            self.session.close()

    @property
    def url(self) -> str:
        host, port = self.emulator.invoke_address
        return f"http://{host}:{port}/2015-03-31/functions/function/invocations"

    @property
    def base_url(self) -> str:
        host, port = self.emulator.invoke_address
        return f"http://{host}:{port}"

    def invoke(
        self,
        event: object = None,
        *,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 60,
    ) -> requests.Response:
        import json

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
