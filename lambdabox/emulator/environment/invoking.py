"""One execution environment: a runtime process, its own Runtime API endpoint, its lifecycle.

Every invocation handed to the environment is answered exactly once. The states, starting
and stopping the runtime are in `lifecycle`; this module runs invocations.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from lambdabox.emulator.environment.lifecycle import (
    KILL_GRACE_WITH_EXTENSIONS_S,
    EnvironmentLifecycle,
    Launch,
    State,
)
from lambdabox.emulator.invocation import Invocation, Outcome

# Also importable from here and from the package, as before the split into lifecycle.
__all__ = ["KILL_GRACE_WITH_EXTENSIONS_S", "Environment", "Launch", "State"]


class Environment(EnvironmentLifecycle):
    """A runtime process behind its own Runtime API listener."""

    # -- invocations -----------------------------------------------------------------

    async def invoke(self, inv: Invocation, release: Callable[[], None]) -> Outcome:
        """Run one invocation here (init first when needed); return what the caller gets.

        The caller is answered as soon as the runtime posts. The environment stays taken
        until the runtime (and every extension) asks for the next event; then the END and
        REPORT lines are written and `release()` is called, exactly once.
        """
        finishing = False
        try:
            while True:
                if self.state is not State.READY:
                    failure = await self.init()
                    if failure is not None:
                        inv.finished.set()
                        return failure
                waiter = await self._next_waiter()
                if waiter is not None:
                    break  # else the runtime died before asking for this event: init again
            cold_ms, self.init_duration_ms = self.init_duration_ms, None
            self._dispatch(inv, waiter)
            timer = asyncio.get_running_loop().call_later(inv.timeout_s, self._time_out, inv)
            try:
                outcome = await inv.outcome
            finally:
                timer.cancel()
                self.inflight.pop(inv.request_id, None)
            self.reports.runtime_done(inv, outcome)
            self.finishing[inv.request_id] = inv  # its late output still belongs to it
            self._finisher = asyncio.ensure_future(self._finish(inv, cold_ms, release))
            finishing = True
            return outcome
        finally:
            if not finishing:
                release()

    def _dispatch(self, inv: Invocation, waiter: asyncio.Future[Invocation]) -> None:
        inv.started_at = time.monotonic()
        inv.started_wall = time.time()
        inv.deadline_ms = int(inv.started_wall * 1000 + inv.timeout_s * 1000)
        self.inflight[inv.request_id] = inv
        self.reports.start(inv)
        waiter.set_result(inv)
        if self.sidecars.active:
            self.sidecars.extensions.invoke_event(
                inv.request_id, inv.deadline_ms, inv.arn, inv.trace_id
            )

    async def _finish(
        self, inv: Invocation, cold_ms: float | None, release: Callable[[], None]
    ) -> None:
        """Wait for the runtime's next /next (and the extensions), then END/REPORT, release.

        Duration ends when the runtime asks for its next event. When the runtime's lines
        carry the time they were written (a container), the environment is released at
        once and the lines still on their way are attributed by that time; otherwise
        (a local pipe, read in a few loop turns) they are read before the release.
        """
        released = False
        try:
            if inv.timed_out or not await self._settled(inv.deadline_ms / 1000):
                await self._kill(graceful=False, reason="timeout")
            inv.ended_at, inv.ended_wall = time.monotonic(), time.time()
            process = self._process
            if process is not None and process.stamps_output and not inv.timed_out:
                self.reports.hold(inv)
                released = True
                release()
            used = 0
            if process is not None:
                await process.drain_output()
                used = process.peak_memory_mb()
            self.reports.end(inv, cold_ms, used)
        finally:
            self.finishing.pop(inv.request_id, None)
            inv.finished.set()
            if not released:
                release()

    async def _settled(self, deadline: float) -> bool:
        """The runtime waits on /next again (or died) and every extension is ready."""
        loop = asyncio.get_running_loop()
        timer = loop.call_at(loop.time() + max(deadline - time.time(), 0), self._ready.set)
        try:
            while not (self.waiting or self.state is State.DEAD):
                if time.time() >= deadline:
                    return False
                self._ready.clear()
                await self._ready.wait()
        finally:
            timer.cancel()
        if self.sidecars.active and self.state is not State.DEAD:
            return await self.sidecars.wait_ready(deadline - time.time())
        return True

    def _time_out(self, inv: Invocation) -> None:
        secs = f"{inv.timeout_s:.2f}"
        message = f"RequestId: {inv.request_id} Error: Task timed out after {secs} seconds"
        if inv.settle(Outcome.error("Sandbox.Timedout", message)):
            inv.timed_out = True

    async def _next_waiter(self) -> asyncio.Future[Invocation] | None:
        """A runtime blocked on GET /next, or None when the runtime died meanwhile."""
        while True:
            while self.waiting:
                waiter = self.waiting.popleft()
                if not waiter.done():
                    return waiter
            if self.state is State.DEAD:
                return None
            await self._ready.wait()
            self._ready.clear()
