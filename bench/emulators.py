"""The emulator benchmarks: `lambdabox emulate` and `lambdabox run` against AWS's own
aws-lambda-rie (from the aws-sam-cli wheel), measured in the same run, in interleaved
rounds, by the same caller (http.client, one keep-alive connection, TCP_NODELAY) and, for
the container warm path, by boto3.
"""

from __future__ import annotations

import json
import statistics
import subprocess
from pathlib import Path

from bench import _venvs, caller, container_mode, process_mode, sam_local
from bench.report import Figure, Table, at_least, at_most
from lambdabox.testing.processes import free_port

EVENT = b'{"data":"' + b"x" * 89 + b'"}'  # 100 bytes
BOTO_CALLER = Path(__file__).resolve().parent / "boto_caller.py"


def _per_s(samples: list[float]) -> float:
    return 1000 * len(samples) / sum(samples)


def process_mode_table(quick: bool, results: dict[str, float]) -> Table:
    rie, ric = _venvs.rie_binary(), _venvs.awslambdaric_python()
    lambdabox, ours = _venvs.lambdabox_command(), _venvs.lambdabox_python()
    rounds, cold_reps, count = (2, 2, 300) if quick else (5, 3, 2000)
    cold = {k: Figure("ms") for k in ("rie", "lazy", "eager", "floor", "lazy-uvloop")}
    warm = {k: Figure("/s") for k in ("rie", "ours", "ours-uvloop", "floor")}
    p50 = {k: Figure("ms") for k in ("rie", "ours", "floor", "ours-uvloop")}
    phases: dict[str, list[dict[str, float]]] = {"rie": [], "lazy": [], "eager": []}

    def command(kind: str, port: int, with_phases: bool = False) -> list[str]:
        if kind == "rie":
            return process_mode.rie_command(rie, ric, port, with_phases)
        if kind == "floor":
            return process_mode.floor_command(ours, port)
        init, _, loop = kind.partition("-")  # e.g. lazy-uvloop
        return process_mode.emulate_command(
            lambdabox, ours, port, init, with_phases, loop=loop or "asyncio"
        )

    for _ in range(rounds):
        for kind, figure in cold.items():
            samples = []
            for _ in range(cold_reps):
                port = free_port()
                ms, marks = process_mode.cold_ms(command(kind, port, True), port)
                samples.append(ms)
                if kind in phases and marks:
                    phases[kind].append({**marks, ANSWER: ms})
            figure.add(statistics.median(samples))
        for kind, side in WARM_SIDES:
            port = free_port()
            samples = process_mode.warm(command(kind, port), port, EVENT, count)
            warm[side].add(_per_s(samples))
            if side != "floor":
                p50[side].add(statistics.median(samples))
        p50["floor"].add(statistics.median(caller.floor_latencies(EVENT, count)))

    table = Table(
        "process mode: lambdabox emulate + runtime_interface vs aws-lambda-rie + awslambdaric "
        "(same caller: http.client, keep-alive, TCP_NODELAY; 100-byte echo)"
    )
    table.row("cold start to first answer, both lazy init", cold["lazy"], cold["rie"], at_most(0.7))
    table.row("cold start, emulate default (eager) vs RIE", cold["eager"], cold["rie"])
    table.row("cold start floor: stdlib-only first answer vs RIE", cold["floor"], cold["rie"])
    table.row("cold start, lazy, --event-loop uvloop vs RIE", cold["lazy-uvloop"], cold["rie"])
    table.row("warm invokes/s", warm["ours"], warm["rie"], at_least(2.0))
    table.row("warm invokes/s floor: stdlib-only relay vs RIE", warm["floor"], warm["rie"])
    table.row("warm invokes/s vs the stdlib-only relay floor", warm["ours"], warm["floor"])
    table.row("warm invokes/s, --event-loop uvloop", warm["ours-uvloop"], warm["rie"])
    table.row("warm invokes/s, uvloop vs asyncio's loop", warm["ours-uvloop"], warm["ours"])
    table.row("warm invoke p50 vs RIE", p50["ours"], p50["rie"])
    table.row(
        "warm invoke p50 vs loopback floor (2 trips)", p50["ours"], p50["floor"], at_most(2.0)
    )
    table.row("warm invoke p50, uvloop, vs loopback floor", p50["ours-uvloop"], p50["floor"])
    labels = {"rie": "aws-lambda-rie + awslambdaric", "lazy": "emulate --init lazy"}
    labels["eager"] = "emulate --init eager"
    for kind, label in labels.items():
        if phases[kind]:
            medians = _phase_medians(phases[kind])
            steps = ", ".join(f"{n} {ms:.1f}" for n, ms in medians.items())
            table.note(f"{label} start-up phases (ms after exec, medians): {steps}")
            spans = _span_medians(phases[kind], BREAKDOWN["rie" if kind == "rie" else "ours"])
            text = ", ".join(f"{name} {ms:.1f}" for name, ms in spans.items())
            table.note(f"{label} where the time goes (ms, medians of each run's spans): {text}")
            results.update({f"{kind}_phase_{n}_ms": ms for n, ms in medians.items()})
    table.note(
        "aws-lambda-rie starts its runtime on the first invoke (lazy, its only mode); "
        "emulate's default starts it with the emulator (eager). The floors are "
        "bench/relay_floor.py: Python + blocking sockets + our runtime, happy path only; "
        "the loopback floor is two round trips to a bare echo server."
    )
    for name, fig in (
        *((f"cold_{k}_ms", f) for k, f in cold.items()),
        *((f"warm_{k}_per_s", f) for k, f in warm.items()),
        *((f"p50_{k}_ms", f) for k, f in p50.items()),
    ):
        results[f"process_{name}"] = fig.median
    return table


WARM_SIDES = (
    ("rie", "rie"),
    ("eager", "ours"),
    ("eager-uvloop", "ours-uvloop"),
    ("floor", "floor"),
)
ANSWER = "first answer at the caller"
BREAKDOWN = {  # (what, from phase, to phase): the per-phase breakdown of a cold start
    "ours": (
        ("interpreter start", "", "interpreter started"),
        ("lambdabox.cli imports", "interpreter started", "command line imported"),
        ("argv", "command line imported", "arguments parsed"),
        ("bind + start ahead", "arguments parsed", "runtime started ahead"),
        ("emulator imports", "runtime started ahead", "emulator imported"),
        (
            "runtime spawn -> first /next",
            "runtime spawned ahead",
            "runtime's first request waiting",
        ),
        ("imported -> first answer", "emulator imported", ANSWER),
    ),
    "rie": (
        ("exec -> listening", "", "listening"),
        ("invoke -> runtime spawned", "invoke received", "runtime spawned"),
        ("runtime spawn -> first /next", "runtime spawned", "runtime's first /next"),
        ("first /next -> first answer", "runtime's first /next", ANSWER),
    ),
}


def _phase_medians(runs: list[dict[str, float]]) -> dict[str, float]:
    """Each phase's median over the runs that reached it, in the order they happen."""
    names = {n for run in runs for n in run}
    medians = {n: statistics.median(run[n] for run in runs if n in run) for n in names}
    return dict(sorted(medians.items(), key=lambda item: item[1]))


def _span_medians(
    runs: list[dict[str, float]], spans: tuple[tuple[str, str, str], ...]
) -> dict[str, float]:
    """Each span's duration (from phase to phase; "" is the exec) per run, median over runs."""
    out: dict[str, float] = {}
    for name, start, end in spans:
        durations = [
            run[end] - (run[start] if start else 0.0)
            for run in runs
            if end in run and (not start or start in run)
        ]
        if durations:
            out[name] = statistics.median(durations)
    return out


def container_mode_table(quick: bool, results: dict[str, float]) -> Table:
    rounds, count = (1, 100) if quick else (3, 500)
    image = container_mode.test_image()
    rie_image = container_mode.rie_image(image, _venvs.rie_binary())
    lambdabox = _venvs.lambdabox_command()
    cold = {k: Figure("ms") for k in ("rie", "ours", "floor")}
    warm = {k: Figure("/s") for k in ("rie", "ours")}
    phases: list[dict[str, float]] = []
    for _ in range(rounds):
        ms, samples = container_mode.docker_run_rie(rie_image, EVENT, count)
        cold["rie"].add(ms)
        warm["rie"].add(_per_s(samples))
        run, samples = container_mode.lambdabox_run(lambdabox, image, EVENT, count)
        cold["ours"].add(run.first_answer_ms)
        warm["ours"].add(_per_s(samples))
        if run.phases:
            phases.append(run.phases)
        cold["floor"].add(container_mode.docker_start_ms(image))
    table = Table(
        "container mode: lambdabox run IMAGE vs docker run --entrypoint aws-lambda-rie IMAGE "
        "(AWS's documented local flow; host network; same caller)"
    )
    table.row("start to first answer", cold["ours"], cold["rie"], at_most(0.5))
    table.row(
        "docker run -d of the image (the floor) vs docker run + RIE", cold["floor"], cold["rie"]
    )
    table.row("warm invokes/s", warm["ours"], warm["rie"])
    if phases:
        names = list(phases[0])
        medians = {n: statistics.median(p.get(n, 0.0) for p in phases) for n in names}
        steps = ", ".join(f"{n} {ms:.0f}" for n, ms in medians.items())
        table.note(f"lambdabox run start-up phases (ms after exec, medians): {steps}")
        results.update({f"run_phase_{n}_ms": ms for n, ms in medians.items()})
    table.note(f"image: {image} (+ aws-lambda-rie copied in: {rie_image}); handler prints a line")
    for side, figure in cold.items():
        results[f"container_cold_{side}_ms"] = figure.median
    for side, figure in warm.items():
        results[f"container_warm_{side}_per_s"] = figure.median
    return table


def _boto(url: str, count: int, function: str = "function") -> dict[str, float]:
    out = subprocess.run(
        [str(_venvs.sam_python()), str(BOTO_CALLER), url, str(count), function],
        capture_output=True,
        check=True,
        timeout=600,
    )
    answer: dict[str, float] = json.loads(out.stdout.decode().strip().splitlines()[-1])
    return answer


def boto_table(quick: bool, results: dict[str, float]) -> Table:
    """boto3 caller: `lambdabox run` (container) against `lambdabox emulate` (process)."""
    rounds, count = (1, 100) if quick else (3, 300)
    image = container_mode.test_image()
    lambdabox, ours = _venvs.lambdabox_command(), _venvs.lambdabox_python()
    per_s = {k: Figure("/s") for k in ("emulate", "run", "sam")}
    for _ in range(rounds):
        port = free_port()
        # The image's handler (it prints a line), run as a local process.
        emulate = process_mode.emulate_command(
            lambdabox, ours, port, "eager", handler="app.handler"
        )
        with process_mode.running(emulate, port, cwd=container_mode.APP_DIR):
            per_s["emulate"].add(_boto(f"http://127.0.0.1:{port}", count)["per_s"])
        port = free_port()
        run = container_mode.lambdabox_run_command(lambdabox, image, port)
        with container_mode.running(run, port):
            per_s["run"].add(_boto(f"http://127.0.0.1:{port}", count)["per_s"])
        with sam_local.start_lambda(image) as url:
            per_s["sam"].add(_boto(url, count, sam_local.FUNCTION)["per_s"])
    table = Table(f"container warm path, boto3 caller ({count} sequential invokes a round)")
    table.row("lambdabox run vs lambdabox emulate", per_s["run"], per_s["emulate"], at_least(0.7))
    table.row(
        "lambdabox run vs sam local start-lambda EAGER", per_s["run"], per_s["sam"], at_least(5.0)
    )
    table.note(
        "SAM CLI (PyPI) runs its containers on the host network through two in-process "
        "patches (bench/sam_host.py): Docker here has no bridge for its published port."
    )
    results["boto_sam_per_s"] = per_s["sam"].median
    results["boto_emulate_per_s"] = per_s["emulate"].median
    results["boto_run_per_s"] = per_s["run"].median
    return table
