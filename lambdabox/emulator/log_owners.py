"""Which invocations a line of the runtime's output belongs to (for its log and telemetry)."""

from __future__ import annotations

from collections.abc import Sequence

from lambdabox.emulator.invocation import Invocation


def owners(
    line: str,
    written_at: float | None,
    inflight: Sequence[Invocation],
    finishing: Sequence[Invocation],
) -> list[Invocation]:
    """The invocations a line of output belongs to: those in flight, unless one whose END
    is still due (`finishing`: its late output) claims it by its request id or by the time
    the line was written (`written_at`, wall clock; None when unknown)."""
    if not finishing:
        return list(inflight)
    if written_at is None:
        return [*inflight, *finishing]
    candidates = [*finishing, *inflight]
    for inv in candidates:
        if inv.request_id in line:
            return [inv]
    # Written after an invocation started (and before it ended, if it has): its line.
    # A line that Docker stamped just after its invocation ended (but before the next
    # one started) is that invocation's late output.
    started = [inv for inv in candidates if inv.started_wall <= written_at]
    if not started:
        return list(inflight or finishing)
    spans = [inv for inv in started if not inv.ended_wall or written_at <= inv.ended_wall]
    return spans or [max(started, key=lambda inv: inv.started_wall)]
