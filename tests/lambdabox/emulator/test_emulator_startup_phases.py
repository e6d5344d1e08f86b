"""`lambdabox emulate --log-level debug` prints where its start-up time went (the bench's
per-phase breakdown reads these lines): every phase once, in the order it happened, on the
monotonic clock the caller shares, after the process started and (but the mark of the answer
itself, taken just after it was written) before its first answer reached the caller."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from lambdabox.testing.processes import emulate_command, first_invoke, free_port

APP = Path(__file__).resolve().parents[2] / "scenarios" / "emulator"
PREFIX = "lambdabox emulate: start-up "


def _phases(init: str) -> tuple[float, float, list[tuple[str, float]]]:
    """(spawned at, first answer at, [(phase, at)]) for one emulator run."""
    port = free_port()
    runtime = [sys.executable, "-m", "runtime_interface", "app.handler"]
    command = emulate_command(
        port, runtime, "--init", init, "--log-level", "debug", "--extensions-dir", "/nonexistent"
    )
    spawned = time.monotonic()
    proc = subprocess.Popen(
        command, cwd=APP, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        answer = first_invoke(port)
        answered = time.monotonic()
        assert answer.status_code == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
    phases = []
    for line in err.splitlines():
        if line.startswith(PREFIX):
            name, _, at = line[len(PREFIX) :].rpartition(" at ")
            phases.append((name, float(at)))
    return spawned, answered, phases


def test_lazy_start_up_phases_are_printed_in_order_between_spawn_and_answer() -> None:
    spawned, answered, phases = _phases("lazy")
    names = [name for name, _ in phases]
    assert len(names) == len(set(names))
    for expected in (
        "interpreter started",
        "command line imported",
        "arguments parsed",
        "runtime started ahead",
        "runtime spawned ahead",  # when the first caller connected, before the imports ended
        "emulator imported",
        "listening",
        "runtime ready",
        "first answer sent",
    ):
        assert expected in names
    times = [at for _, at in phases]
    assert spawned < times[0]
    assert times[-2] <= answered  # the last, "first answer sent", is marked once written
    order = dict(phases)
    assert order["interpreter started"] <= order["command line imported"]
    assert order["command line imported"] <= order["arguments parsed"]
    assert order["arguments parsed"] <= order["runtime started ahead"]
    assert order["runtime started ahead"] <= order["runtime spawned ahead"]
    assert order["emulator imported"] <= order["first answer sent"]
    assert names[-1] == "first answer sent"
    waiting = order.get("runtime's first request waiting")  # only if before the hand-over
    assert waiting is None or order["runtime spawned ahead"] <= waiting


def test_eager_start_up_spawns_the_runtime_before_the_emulator_imports_itself() -> None:
    _spawned, _answered, phases = _phases("eager")
    order = dict(phases)
    assert order["runtime spawned ahead"] <= order["emulator imported"]
    assert order["arguments parsed"] <= order["runtime spawned ahead"]
