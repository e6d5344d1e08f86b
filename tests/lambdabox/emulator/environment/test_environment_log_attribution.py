"""Late container output: Docker's timestamps parsed, lines attributed to their own
invocation by request id or by when they were written, and printed in invocation order."""

from __future__ import annotations

import asyncio
import calendar
import time

from lambdabox.emulator.environment.lifecycle import EnvironmentLifecycle, Launch
from lambdabox.emulator.invocation import Invocation
from lambdabox.emulator.logstamps import parse_stamp, split_stamp
from lambdabox.emulator.reports import Reporter


def test_docker_stamps_are_epoch_seconds_and_unstamped_text_is_left_alone() -> None:
    at, rest = split_stamp(b"2026-12-03T10:42:16.898714654Z handled {'x': 1}")
    expected = calendar.timegm(time.strptime("2026-12-03T10:42:16", "%Y-%m-%dT%H:%M:%S"))
    assert at is not None
    assert abs(at - (expected + 0.898714654)) < 1e-6
    assert rest == b"handled {'x': 1}"
    assert split_stamp(b"no stamp here") == (None, b"no stamp here")
    assert split_stamp(b"2026-13-99T99:99:00.0Z x") == (None, b"2026-13-99T99:99:00.0Z x")
    assert parse_stamp(b"2026-12-03T10:42:16.5") is None  # no Z: not Docker's


def _invocation(started: float, ended: float = 0.0) -> Invocation:
    inv = Invocation(payload=b"{}", arn="arn:aws:lambda:us-east-1:1:function:f", timeout_s=3)
    inv.started_wall, inv.ended_wall = started, ended
    return inv


def _lifecycle(lines: list[str]) -> EnvironmentLifecycle:
    class _NoDriver:
        async def spawn(self, *args: object) -> object:
            raise AssertionError("not started in this test")

    launch = Launch(_NoDriver(), {})  # type: ignore[arg-type]
    return EnvironmentLifecycle(
        0, launch, host="127.0.0.1", port=0, capacity=1, init_timeout_s=1, log=lines.append
    )


def test_a_late_line_goes_to_the_invocation_that_was_running_when_it_was_written() -> None:
    async def scenario() -> None:
        printed: list[str] = []
        env = _lifecycle(printed)
        first, second = _invocation(100.0, 100.5), _invocation(100.6)
        env.finishing[first.request_id] = first  # released; its END is still due
        env.inflight[second.request_id] = second
        env._on_line("written during the first", 100.4)
        env._on_line("stamped after the first ended, before the second began", 100.55)
        env._on_line("written during the second", 100.7)
        env._on_line(f"names {first.request_id} explicitly", 100.9)
        env._on_line("no stamp: every open invocation keeps it")
        assert first.logs == [
            "written during the first",
            "stamped after the first ended, before the second began",
            f"names {first.request_id} explicitly",
            "no stamp: every open invocation keeps it",
        ]
        assert second.logs == [
            "written during the second",
            "no stamp: every open invocation keeps it",
        ]

    asyncio.run(scenario())


def test_the_next_invocation_is_printed_after_the_released_ones_end() -> None:
    async def scenario() -> None:
        printed: list[str] = []
        reports: Reporter = _lifecycle(printed).reports
        first, second = _invocation(1.0), _invocation(2.0)
        reports.start(first)
        reports.hold(first)  # released before its END
        reports.start(second)
        reports.output("second's line", [second])
        reports.output("first's late line", [first])
        reports.end(first, None, 10)
        reports.end(second, None, 10)
        order = [line.split(" RequestId")[0] if "RequestId" in line else line for line in printed]
        assert order == [
            "START",
            "first's late line",
            "END",
            "START",
            "second's line",
            "END",
        ]

    asyncio.run(scenario())
