"""`make bench`: every figure next to its anchor from the same run, with ratios and goals."""

from __future__ import annotations

import json
import os
import platform
import sys

from bench import _venvs, runtime_client

# The anchor numbers are comparable only on the same machine and in the same run.
QUICK = os.environ.get("BENCH_QUICK") == "1"


def _row(
    name: str, ours: float, anchor: float, unit: str, ratio: float, goal: str, ok: bool
) -> None:
    mark = "ok" if ok else "MISSED"
    print(f"{name:<38} {ours:>10.2f} {anchor:>12.2f} {unit:<9} {ratio:>7.2f}x  {goal:<8} {mark}")


def main() -> int:
    ours = _venvs.lambdabox_python()
    ric = _venvs.awslambdaric_python()
    runs = 10 if QUICK else 40
    small, large = runtime_client.event_of(100), runtime_client.event_of(1024 * 1024)
    n_small, n_large = (300, 30) if QUICK else (3000, 200)

    results: dict[str, float] = {}
    results["startup_ours_ms"] = runtime_client.startup_ms(ours, "runtime_interface", runs)
    results["startup_ric_ms"] = runtime_client.startup_ms(ric, "awslambdaric", runs)
    for label, event, count in (("100B", small, n_small), ("1MB", large, n_large)):
        results[f"warm_{label}_ours_per_s"] = runtime_client.invokes_per_second(
            ours, "runtime_interface", "echo.handler", event, count
        )
        results[f"warm_{label}_ric_per_s"] = runtime_client.invokes_per_second(
            ric, "awslambdaric", "echo.handler", event, count
        )

    print(
        f"\nmachine: {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}"
    )
    print(
        f"{'benchmark':<38} {'lambdabox':>10} {'awslambdaric':>12} {'unit':<9} {'ratio':>8}  goal"
    )
    s_ratio = results["startup_ours_ms"] / results["startup_ric_ms"]
    _row(
        "start-up to first /next (median)",
        results["startup_ours_ms"],
        results["startup_ric_ms"],
        "ms",
        s_ratio,
        "<= 0.5x",
        s_ratio <= 0.5,
    )
    missed = s_ratio > 0.5
    for label in ("100B", "1MB"):
        o, r = results[f"warm_{label}_ours_per_s"], results[f"warm_{label}_ric_per_s"]
        _row(f"warm invokes, {label} echo", o, r, "invokes/s", o / r, ">= 1.3x", o / r >= 1.3)
        missed = missed or o / r < 1.3
    out = _venvs.BENCH_DIR / "results.json"
    out.write_text(json.dumps(results, indent=2))
    print(f"\nraw figures: {out}")
    return 1 if missed and os.environ.get("BENCH_STRICT") == "1" else 0


if __name__ == "__main__":
    sys.exit(main())
