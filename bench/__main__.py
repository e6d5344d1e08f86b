"""`make bench`: every figure next to its anchor from the same run, with ratios and goals."""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import sys
from pathlib import Path

from bench import _venvs, http_front, runtime_client, sqs_mapping

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
    missed = _emulator_benchmarks(r) or missed
    missed = _builder_benchmarks(r) or missed
    http_figures = http_front.measure(QUICK)
    r.update(http_figures)
    missed = http_front.report(http_figures) or missed
    missed = sqs_mapping.report(r, QUICK) or missed
    _mapping_benchmarks(r)
    _app_up_benchmarks(r)
    out = _venvs.BENCH_DIR / "results.json"
    out.write_text(json.dumps(r, indent=2))
    print(f"\nraw figures: {out}")
    return 1 if missed and os.environ.get("BENCH_STRICT") == "1" else 0


def _emulator_benchmarks(r: dict[str, float]) -> bool:
    """Emulators against aws-lambda-rie, same run; prints the tables, True if a goal missed."""
    from bench import emulators

    tables = [emulators.process_mode_table(QUICK, r)]
    if shutil.which("docker") is None:
        print("\ncontainer mode: skipped (no docker command)")
        return True
    tables += [emulators.container_mode_table(QUICK, r), emulators.boto_table(QUICK, r)]
    missed: list[str] = []
    met: list[str] = []
    for table in tables:
        table.print("lambdabox", "aws-lambda-rie" if table is tables[0] else "anchor")
        missed += table.missed
        met += table.met
        if table is tables[0]:  # what each import step of the cold start adds
            from bench import coldstart_levers

            print()
            coldstart_levers.main()
    print("\nemulator goals met: " + ("; ".join(met) or "none"))
    print("emulator goals MISSED: " + ("; ".join(missed) or "none"))
    return bool(missed)


def _mapping_benchmarks(r: dict[str, float]) -> None:
    from bench import rabbitmq_mapping

    figures = rabbitmq_mapping.run(count=1000 if QUICK else 4000)
    r.update(figures)
    rmq, kinesis = figures["rabbitmq_mapping_per_s"], figures["kinesis_mapping_per_s"]
    print(f"\n{'event source mappings (no-op function)':<40} {'value':>10}")
    print(f"{'RabbitMQ, batch 100, window 0.5 s':<40} {rmq:>10.0f} msgs/s")
    print(f"{'Kinesis on moto, batch 100, 1 shard':<40} {kinesis:>10.0f} records/s")
    print(f"{'rabbitmq-server start':<40} {figures['rabbitmq_start_s']:>10.1f} s")


def _app_up_benchmarks(r: dict[str, float]) -> None:
    from bench import app_up

    figures = app_up.measure(QUICK)
    r.update(figures)
    app_up.report(figures)


def _builder_benchmarks(r: dict[str, float]) -> bool:
    from bench import builder

    figures = builder.code_only_rebuild(rounds=3 if QUICK else 5)
    r.update({f"builder_{k}": v for k, v in figures.items()})
    missed = builder.report(figures)
    if os.geteuid() != 0:
        print("base images: skipped (building them needs root)")
        return missed
    bases = builder.base_images()
    r.update({f"base_{k}": v for k, v in bases.items()})
    print(f"\n{'base images':<40} {'compressed':>10} {'uncompressed':>12} {'warm build':>10}  goal")
    for name in builder.BASES:
        size = bases[f"{name}_compressed_bytes"] / 1e6
        goal = builder.SIZE_GOALS_MB[name]
        mark = "ok" if size <= goal else "MISSED"
        print(
            f"{name:<40} {size:>8.1f}MB {bases[f'{name}_uncompressed_bytes'] / 1e6:>10.1f}MB "
            f"{bases[f'{name}_warm_s']:>9.2f}s  <= {goal:.0f} MB {mark}"
        )
        missed = missed or size > goal
    print(f"{'python3.11 cold build (empty cache)':<40} {bases['python3.11_cold_s']:>10.1f} s")
    return missed


if __name__ == "__main__":
    sys.exit(main())
