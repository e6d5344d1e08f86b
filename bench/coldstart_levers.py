"""What each cold start lever could win: the import steps of `lambdabox emulate`, measured
as separate interpreter runs in interleaved rounds (same interpreter and install as the
bench: the byte-compiled, non-editable venv).

    python -m bench.coldstart_levers      # BENCH_QUICK=1: fewer rounds

Each row is a whole `python -c STATEMENT` run (start to exit), minima and medians over the
rounds; a row less the interpreter's is what that step adds. A lever can only win what
its step adds: e.g. serving the first invoke before asyncio is imported saves at most what
"all the first answer needs now" adds over the quick path's row.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

from bench import _venvs

_FIRST_ANSWER = (  # what `lambdabox emulate` (a plain command line) imports on its way
    "import lambdabox.emulator.quick, lambdabox.emulator.start; "
    "from lambdabox.emulator.loops import import_asyncio_without_tls; "
    "import_asyncio_without_tls(); import lambdabox.emulator.server"
)
STEPS = (  # each a whole run; compare a row with the interpreter's to see what it adds
    ("interpreter only (python -c pass)", "pass"),
    ("socket + select (what a stdlib-only first answer needs)", "import socket, select"),
    ("argparse", "import argparse"),
    (
        "lambdabox.emulator.quick (a plain emulate line, no argparse)",
        "import lambdabox.emulator.quick",
    ),
    (
        "lambdabox.cli + emulator.cli (the full command line)",
        "import lambdabox.cli, lambdabox.emulator.cli",
    ),
    ("asyncio", "import asyncio"),
    (
        "asyncio, ssl left out (as emulate imports it)",
        "import sys; sys.modules['ssl'] = None; import asyncio",
    ),
    ("all the first answer needs now (asyncio's loop)", _FIRST_ANSWER),
    (
        "the same on uvloop (--event-loop uvloop, ssl too)",
        "import lambdabox.emulator.quick, lambdabox.emulator.start, "
        "lambdabox.emulator.server, uvloop",
    ),
)


def measure(rounds: int) -> dict[str, list[float]]:
    """Ms per step, one sample per round, the steps interleaved within each round."""
    python = str(_venvs.lambdabox_python())
    samples: dict[str, list[float]] = {label: [] for label, _ in STEPS}
    for _ in range(rounds):
        for label, statement in STEPS:
            started = time.perf_counter()
            subprocess.run([python, "-c", statement], check=True)
            samples[label].append((time.perf_counter() - started) * 1000)
    return samples


def main() -> int:
    rounds = 7 if os.environ.get("BENCH_QUICK") == "1" else 21
    samples = measure(rounds)
    print(f"`lambdabox emulate` import steps, whole interpreter runs, {rounds} rounds")
    print(f"{'python -c ...':<58} {'min':>7} {'median':>8}")
    for label, values in samples.items():
        print(f"{label:<58} {min(values):>6.1f} {statistics.median(values):>7.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
