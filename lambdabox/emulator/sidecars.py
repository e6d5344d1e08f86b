"""External extensions of one environment: their processes, registry and telemetry.

Extensions are started before the runtime with the same environment. Init waits for
every started extension to register and ask for its first event (or to exit).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Mapping

from lambdabox.emulator.driver import RuntimeHandle
from lambdabox.emulator.extensions import Extensions, discover
from lambdabox.emulator.httpserver import Request, Responder
from lambdabox.emulator.process import RuntimeProcess
from lambdabox.emulator.telemetry import Telemetry


class Sidecars:
    """Extension processes + Extensions API + Telemetry API for one environment."""

    def __init__(
        self,
        directory: str | None,
        env: Mapping[str, str],
        log: Callable[[str], None],
        on_change: Callable[[], None],
    ) -> None:
        self._directory = directory
        self._log = log
        self._on_change = on_change
        self.extensions = Extensions(
            env.get("AWS_LAMBDA_FUNCTION_NAME", "test_function"),
            env.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
            env.get("_HANDLER", ""),
        )
        self.extensions.on_change = on_change
        self.telemetry = Telemetry(self.extensions)
        self._processes: list[RuntimeProcess] = []
        self._watchers: list[asyncio.Future[None]] = []
        # The runtime's handle, when its sandbox starts extensions itself (containers).
        self.sandbox: RuntimeHandle | None = None

    @property
    def active(self) -> bool:
        return bool(self.extensions.registered)

    async def start(self, env: Mapping[str, str]) -> None:
        """Start every extension executable (a fresh registry each time)."""
        self.extensions.reset()
        self._processes = []
        for path in discover(self._directory):
            name = os.path.basename(path)
            proc = await RuntimeProcess.spawn(
                [path], cwd=os.path.dirname(path), env=env, on_line=self._line_from(name)
            )
            self._processes.append(proc)
            self._watchers.append(asyncio.ensure_future(self._watch(proc)))

    def _line_from(self, name: str) -> Callable[[str], None]:
        def on_line(line: str) -> None:
            self._log(line)
            self.telemetry.emit("extension", line)

        return on_line

    async def _watch(self, proc: RuntimeProcess) -> None:
        await proc.wait()
        self._on_change()

    @property
    def processes(self) -> list[RuntimeProcess]:
        """The extension processes the emulator started (process mode)."""
        return list(self._processes)

    def init_ready(self) -> bool:
        """Every started extension has registered and is waiting (or has exited)."""
        running = sum(1 for p in self._processes if p.returncode is None)
        if self.sandbox is not None:
            running += self.sandbox.extensions_running
        return len(self.extensions.registered) >= running and self.extensions.all_ready()

    def close_registration(self) -> None:
        self.extensions.registration_open = False

    async def wait_ready(self, timeout_s: float) -> bool:
        """After an invocation: wait until every extension asked for its next event."""
        try:
            await asyncio.wait_for(self.extensions.wait_all_ready(), max(timeout_s, 0.001))
        except asyncio.TimeoutError:
            return False
        return True

    async def shutdown(self, reason: str, grace_s: float) -> None:
        """SHUTDOWN to subscribed extensions, then stop their processes after the grace."""
        if self.active:
            self.extensions.shutdown_event(reason, grace_s)
        await self.telemetry.flush_all()
        procs, self._processes = self._processes, []
        if procs:
            waits = [asyncio.ensure_future(p.wait()) for p in procs]
            await asyncio.wait(waits, timeout=grace_s)
            await asyncio.gather(*(p.stop(0) for p in procs))
        for watcher in self._watchers:
            watcher.cancel()
        self._watchers = []

    async def handle(self, request: Request, responder: Responder) -> bool:
        """Serve Extensions and Telemetry API requests; False when the path is not theirs."""
        if await self.extensions.handle(request, responder):
            self._on_change()
            return True
        return await self.telemetry.handle(request, responder)
