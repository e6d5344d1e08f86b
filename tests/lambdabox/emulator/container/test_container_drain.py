"""Waiting for a container's log stream to catch up with a moment: done as soon as a line
stamped at or after it arrives, else at the time limit; released when the stream ends."""

from __future__ import annotations

import asyncio

from lambdabox.emulator.container.drain import StreamClock


def test_a_line_stamped_after_the_moment_ends_the_wait_at_once() -> None:
    async def scenario() -> tuple[bool, float]:
        clock = StreamClock()
        loop = asyncio.get_running_loop()
        loop.call_later(0.01, clock.saw, 99.0)  # written before the moment: keep waiting
        loop.call_later(0.02, clock.saw, None)  # no stamp (an extension's line): same
        loop.call_later(0.03, clock.saw, 100.5)  # written after it: caught up
        started = loop.time()
        reached = await clock.reach(100.0, limit_s=5.0)
        return reached, loop.time() - started

    reached, took = asyncio.run(scenario())
    assert reached
    assert took < 4.0  # the 5 s limit was not what ended it


def test_without_a_later_line_the_wait_ends_at_its_limit() -> None:
    async def scenario() -> tuple[bool, bool, int]:
        clock = StreamClock()
        clock.saw(50.0)
        quiet = await clock.reach(100.0, limit_s=0.01)
        already = await clock.reach(40.0, limit_s=5.0)  # the stream is past it already
        return quiet, already, clock.lines

    assert asyncio.run(scenario()) == (False, True, 1)


def test_the_end_of_the_stream_releases_every_waiter() -> None:
    async def scenario() -> list[bool]:
        clock = StreamClock()
        asyncio.get_running_loop().call_later(0.01, clock.release_all)
        return list(await asyncio.gather(clock.reach(1.0, 5.0), clock.reach(2.0, 5.0)))

    assert asyncio.run(scenario()) == [False, False]
