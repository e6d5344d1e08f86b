"""How far a container's log stream has caught up: the newest Docker timestamp seen, and
waiters that resume once the stream has passed a moment (or a time limit is up).

Docker stamps each line with the time it read it from the container and sends the stream
in that order, so once a line stamped at or after moment T has arrived, every line written
before T has arrived too. Waiting for that, rather than for a quiet period, ends as soon as
the stream catches up under load and costs one timer per wait, not a polling loop.
"""

from __future__ import annotations

import asyncio


class StreamClock:
    """The newest stamp of a log stream, and waits for it to reach a moment (on one loop)."""

    def __init__(self) -> None:
        self.newest = 0.0  # wall-clock seconds of the newest stamped line, 0 before any
        self.lines = 0
        self._waiters: list[tuple[float, asyncio.Future[None]]] = []

    def saw(self, written_at: float | None) -> None:
        """A line arrived (stamped with `written_at` when the stream carries stamps)."""
        self.lines += 1
        if written_at is None or written_at <= self.newest:
            return
        self.newest = written_at
        if self._waiters:
            still = []
            for moment, future in self._waiters:
                if moment <= written_at:
                    if not future.done():
                        future.set_result(None)
                else:
                    still.append((moment, future))
            self._waiters = still

    async def reach(self, moment: float, limit_s: float) -> bool:
        """Wait until a line stamped at or after `moment` has arrived, at most `limit_s`;
        whether it did."""
        if self.newest >= moment:
            return True
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        entry = (moment, future)
        self._waiters.append(entry)
        timer = loop.call_later(limit_s, _settle, future)
        try:
            await future
        finally:
            timer.cancel()
            if entry in self._waiters:
                self._waiters.remove(entry)
        return self.newest >= moment

    def release_all(self) -> None:
        """The stream ended: nobody needs to wait any more."""
        for _, future in self._waiters:
            if not future.done():
                future.set_result(None)
        self._waiters = []


def _settle(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
