"""An emulator on its own event loop thread, for synchronous callers such as tests."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from lambdabox.emulator.config import EmulatorConfig
from lambdabox.emulator.server import Emulator

_T = TypeVar("_T")


class BackgroundEmulator:
    """Start/stop an Emulator in a thread; its log lines are collected (and kept per run)."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.lines: list[str] = []
        self._lock = threading.Lock()
        self.emulator = Emulator(config, log=self._collect)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._started = False

    def _collect(self, line: str) -> None:
        with self._lock:
            self.lines.extend(line.split("\n"))

    def log(self) -> str:
        with self._lock:
            return "\n".join(self.lines)

    def call(self, coroutine: Coroutine[Any, Any, _T], timeout: float = 60) -> _T:
        """Run a coroutine on the emulator's loop and wait for it."""
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def start(self) -> BackgroundEmulator:
        self._thread.start()
        self._started = True
        self.call(self.emulator.start())
        return self

    def stop(self) -> None:
        if not self._started:
            return
        self._started = False
        try:
            self.call(self.emulator.close())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._loop.close()

    def recent_logs(self, request_id: str) -> list[str] | None:
        """The complete log of a finished invocation (START ... REPORT), if still kept."""
        logs = self.emulator.pool.recent_logs.get(request_id)
        return list(logs) if logs is not None else None

    def recycle(self) -> None:
        """Stop every environment: the next invocation starts cold."""

        async def reset() -> None:
            for env in self.emulator.pool.environments:
                await env.reset()

        self.call(reset())

    @property
    def base_url(self) -> str:
        host, port = self.emulator.invoke_address
        return f"http://{host}:{port}"

    @property
    def url(self) -> str:
        return f"{self.base_url}/2015-03-31/functions/function/invocations"
