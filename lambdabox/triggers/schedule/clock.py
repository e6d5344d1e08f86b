"""`ManualClock`: a `Clock` that moves only when told, so tests never sleep.

Triggers sleep on it with `sleep_until`; `advance(minutes=5)` moves time forward one due
wake-up at a time (in time order), lets each woken trigger do its work (fire its Event
invocation and go back to sleep), and returns the firings that happened. It works from
the event loop (`await clock.advance_async(...)`) and from another thread, such as a
synchronous test driving an application on a background loop (`clock.advance(...)`).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, runtime_checkable

SETTLE_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Firing:
    """One schedule firing: which function, the request id of its Event invocation, when."""

    function: str
    request_id: str
    scheduled: datetime
    source: str  # "Fn.Events.Nightly", "AWS::Events::Rule MyRule", ...
    payload: bytes


@runtime_checkable
class FiringObserver(Protocol):
    """A clock that follows the schedule trigger: it is shown each schedule task as it
    starts (`watch`) and told of each firing (`fired`)."""

    def watch(self, task: asyncio.Task[None]) -> None: ...

    def fired(self, firing: Firing) -> None: ...


def _epoch(when: datetime | float) -> float:
    return when.timestamp() if isinstance(when, datetime) else float(when)


class ManualClock:
    """Time that moves only on `advance`; starts at `start` (a datetime or epoch seconds)."""

    def __init__(self, start: datetime | float) -> None:
        if isinstance(start, datetime) and start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime (e.g. tzinfo=UTC)")
        self._now = _epoch(start)
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._owners: dict[asyncio.Future[None], asyncio.Task[Any] | None] = {}
        self._awake: set[asyncio.Task[Any]] = set()
        self._counter = itertools.count()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._firings: list[Firing] = []
        self._lock = threading.Lock()

    def now(self) -> float:
        """The clock's time, seconds since the epoch."""
        return self._now

    @property
    def datetime(self) -> datetime:
        """The clock's time as an aware UTC datetime."""
        return datetime.fromtimestamp(self._now, UTC)

    async def sleep_until(self, when: float) -> None:
        """Return once `advance` has moved the clock to `when` (at once if it is past)."""
        self._loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        if task is not None:
            self._awake.discard(task)
        if when <= self._now:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = self._loop.create_future()
        heapq.heappush(self._sleepers, (when, next(self._counter), future))
        self._owners[future] = task
        try:
            await future
        finally:
            self._owners.pop(future, None)

    def watch(self, task: asyncio.Task[None]) -> None:
        """A task that will sleep on this clock: `advance` waits until it does."""
        self._loop = task.get_loop()
        self._awake.add(task)
        task.add_done_callback(self._awake.discard)

    def fired(self, firing: Firing) -> None:
        """Note a firing for the next `advance` to return."""
        self._firings.append(firing)

    async def advance_async(
        self, *, seconds: float = 0, minutes: float = 0, hours: float = 0, days: float = 0
    ) -> list[Firing]:
        """Move time forward (on the event loop); the firings since the last advance (those
        it caused, and those due when a schedule started), in order."""
        target = self._now + seconds + 60 * minutes + 3600 * hours + 86400 * days
        await self._settle()
        while self._sleepers and self._sleepers[0][0] <= target:
            when = self._sleepers[0][0]
            self._now = max(self._now, when)
            while self._sleepers and self._sleepers[0][0] <= when:
                _, _, future = heapq.heappop(self._sleepers)
                if future.cancelled():
                    continue
                owner = self._owners.get(future)
                if owner is not None and not owner.done():
                    self._awake.add(owner)
                    owner.add_done_callback(self._awake.discard)
                future.set_result(None)
            await self._settle()
        self._now = max(self._now, target)
        firings, self._firings = self._firings, []
        return firings

    def advance(
        self, *, seconds: float = 0, minutes: float = 0, hours: float = 0, days: float = 0
    ) -> list[Firing]:
        """`advance_async` from a thread other than the loop's (e.g. a synchronous test)."""
        with self._lock:
            loop = self._loop
            running = _running_loop()
            coro = self.advance_async(seconds=seconds, minutes=minutes, hours=hours, days=days)
            if loop is None or running is loop:
                if running is not None:
                    coro.close()
                    raise RuntimeError("on the event loop, use `await clock.advance_async(...)`")
                return asyncio.run(coro)  # nothing sleeps on this clock yet
            return asyncio.run_coroutine_threadsafe(coro, loop).result(SETTLE_TIMEOUT_S * 4)

    async def _settle(self) -> None:
        """Wait until every woken task is asleep again or finished."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + SETTLE_TIMEOUT_S
        await asyncio.sleep(0)
        while self._awake:
            if loop.time() > deadline:
                raise TimeoutError("a schedule trigger did not go back to sleep within 30 s")
            await asyncio.sleep(0.001)


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None
