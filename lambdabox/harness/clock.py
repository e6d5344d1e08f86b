"""A clock tests move by hand: schedules (and batching windows) wake when it is advanced.

Implements the `Clock` protocol of `lambdabox.triggers.ports` for code running on one
event loop; `advance()` is called from the test's thread and steps through every pending
wake-up in time order, so a schedule due every minute fires five times in `advance(300)`.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import threading
import time


class ManualClock:
    """Virtual time: starts at `start` (default: now) and moves only through `advance`."""

    def __init__(self, start: float | None = None) -> None:
        self._now = time.time() if start is None else start
        self._lock = threading.Lock()
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def now(self) -> float:
        with self._lock:
            return self._now

    async def sleep_until(self, when: float) -> None:
        loop = asyncio.get_running_loop()
        with self._lock:
            if when <= self._now:
                return
            future: asyncio.Future[None] = loop.create_future()
            heapq.heappush(self._sleepers, (when, next(self._order), future))
        await future

    def _due(self, limit: float) -> list[asyncio.Future[None]]:
        """Move to the earliest wake-up at or before `limit`; the futures due then."""
        with self._lock:
            if not self._sleepers or self._sleepers[0][0] > limit:
                return []
            when = self._sleepers[0][0]
            self._now = max(self._now, when)
            due = []
            while self._sleepers and self._sleepers[0][0] <= when:
                due.append(heapq.heappop(self._sleepers)[2])
            return due

    async def advance_async(self, seconds: float, settle_s: float = 0.02) -> None:
        """Move time forward by `seconds`, waking sleepers in order (on the clock's loop)."""
        target = self.now() + seconds
        while True:
            due = self._due(target)
            if not due:
                break
            for future in due:
                if not future.done():
                    future.set_result(None)
            await asyncio.sleep(settle_s)  # let the woken tasks run and sleep again
        with self._lock:
            self._now = max(self._now, target)

    def advance(self, loop: asyncio.AbstractEventLoop, seconds: float) -> None:
        """`advance_async` run on `loop` from another thread, waited for."""
        asyncio.run_coroutine_threadsafe(self.advance_async(seconds), loop).result(60)
