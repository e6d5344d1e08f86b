"""`make bench`: every figure next to its anchor from the same run, with ratios and goals."""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
from pathlib import Path

from bench import _venvs, runtime_client

# The anchor numbers are comparable only on the same machine and in the same run.
QUICK = os.environ.get("BENCH_QUICK") == "1"


def _row(name: str, ours: float, anchor: float, unit: str, goal: str, ok: bool | None) -> None:
    mark = "" if ok is None else ("ok" if ok else "MISSED")
    ratio = ours / anchor
    print(f"{name:<40} {ours:>10.2f} {anchor:>12.2f} {unit:<9} {ratio:>6.2f}x  {goal:<8} {mark}")


def _warm(ours: Path, ric: Path, event: bytes, count: int, rounds: int) -> tuple[float, float]:
    """Median invokes/s over alternating rounds, so both sides see the same machine state."""
    mine, theirs = [], []
    for _ in range(rounds):
        mine.append(
            runtime_client.invokes_per_second(
                ours, "runtime_interface", "echo.handler", event, count
            )
        )
        theirs.append(
            runtime_client.invokes_per_second(ric, "awslambdaric", "echo.handler", event, count)
        )
    return statistics.median(mine), statistics.median(theirs)


def main() -> int:
    ours = _venvs.lambdabox_python()
    ric = _venvs.awslambdaric_python()
    runs = 10 if QUICK else 40
    rounds = 1 if QUICK else 3
    small, large = runtime_client.event_of(100), runtime_client.event_of(1024 * 1024)
    n_small, n_large = (300, 30) if QUICK else (2000, 150)

    r: dict[str, float] = {}
    for launcher, tag in ((False, "m"), (True, "launcher")):
        r[f"startup_{tag}_ours_next_ms"], r[f"startup_{tag}_ours_answer_ms"] = (
            runtime_client.startup_ms(ours, "runtime_interface", runs, launcher)
        )
        r[f"startup_{tag}_ric_next_ms"], r[f"startup_{tag}_ric_answer_ms"] = (
            runtime_client.startup_ms(ric, "awslambdaric", runs, launcher)
        )
    r["warm_100B_ours_per_s"], r["warm_100B_ric_per_s"] = _warm(ours, ric, small, n_small, rounds)
    r["warm_1MB_ours_per_s"], r["warm_1MB_ric_per_s"] = _warm(ours, ric, large, n_large, rounds)

    print(
        f"\nmachine: {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()} (figures move with machine load)"
    )
    print(
        f"{'benchmark':<40} {'lambdabox':>10} {'awslambdaric':>12} {'unit':<9} {'ratio':>7}  goal"
    )
    missed = False
    for tag, label in (("m", "python -m"), ("launcher", "python -c launcher")):
        o, a = r[f"startup_{tag}_ours_next_ms"], r[f"startup_{tag}_ric_next_ms"]
        ok = o / a <= 0.5
        missed = missed or (tag == "m" and not ok)
        _row(f"start-up to first /next, {label}", o, a, "ms", "<= 0.5x", ok)
        o, a = r[f"startup_{tag}_ours_answer_ms"], r[f"startup_{tag}_ric_answer_ms"]
        _row(f"start-up to first answer, {label}", o, a, "ms", "", None)
    for label in ("100B", "1MB"):
        o, a = r[f"warm_{label}_ours_per_s"], r[f"warm_{label}_ric_per_s"]
        _row(f"warm invokes, {label} echo", o, a, "invokes/s", ">= 1.3x", o / a >= 1.3)
        missed = missed or o / a < 1.3
    out = _venvs.BENCH_DIR / "results.json"
    out.write_text(json.dumps(r, indent=2))
    print(f"\nraw figures: {out}")
    return 1 if missed and os.environ.get("BENCH_STRICT") == "1" else 0


if __name__ == "__main__":
    sys.exit(main())
