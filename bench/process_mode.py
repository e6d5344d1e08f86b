"""Process mode, emulator against emulator: `lambdabox emulate` + our client vs AWS's
aws-lambda-rie + awslambdaric, started the same way, called by the same caller.

aws-lambda-rie starts its runtime on the first invoke (lazy init, its only mode), so the
like-for-like cold start is `emulate --init lazy`; `emulate`'s default (eager: the runtime
starts with the emulator) is measured too.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench import caller
from lambdabox.testing.processes import free_port

HANDLERS = Path(__file__).resolve().parent / "handlers"
PHASE_PREFIX = "lambdabox emulate: start-up "


@dataclass
class Run:
    """A running emulator: its Invoke API address, ms to its first answer, and (once it has
    stopped, from its stderr) its start-up phases in ms after the process was started."""

    address: str
    first_answer_ms: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)


def rie_command(rie: Path, ric_python: Path, port: int, phases: bool = False) -> list[str]:
    """aws-lambda-rie + awslambdaric; with `phases`, RIE's --log-level debug (its
    timestamped lines give its start-up phases: for cold starts only)."""
    return [
        str(rie),
        *(("--log-level", "debug") if phases else ()),
        "--runtime-interface-emulator-address",
        f"127.0.0.1:{port}",
        "--runtime-api-address",
        f"127.0.0.1:{free_port()}",
        str(ric_python),
        "-m",
        "awslambdaric",
        "echo.handler",
    ]


FLOOR = Path(__file__).resolve().parent / "relay_floor.py"


def floor_command(python: Path, port: int) -> list[str]:
    """The stdlib-only first answer (bench/relay_floor.py), lazy, our runtime."""
    command = [str(python), str(FLOOR), str(port), str(free_port()), "--"]
    return [*command, str(python), "-m", "runtime_interface", "echo.handler"]


def emulate_command(
    lambdabox: Path,
    python: Path,
    port: int,
    init: str,
    phases: bool = False,
    handler: str = "echo.handler",
    loop: str = "asyncio",
) -> list[str]:
    """`lambdabox emulate` on event loop `loop`; with `phases`, --log-level debug (start-up
    phases on stderr, and a line per API request: for cold starts only)."""
    return [
        str(lambdabox),
        "emulate",
        "--event-loop",
        loop,
        "--listen",
        f"127.0.0.1:{port}",
        "--runtime-api-address",
        "127.0.0.1:0",
        "--init",
        init,
        "--log-level",
        "debug" if phases else "info",
        "--",
        str(python),
        "-m",
        "runtime_interface",
        handler,
    ]


@contextmanager
def running(command: Sequence[str], port: int, cwd: Path = HANDLERS) -> Iterator[Run]:
    """Start `command` (an emulator listening on `port`); yield once it has answered."""
    run = Run(f"127.0.0.1:{port}")
    wall = time.time()
    # A file, not a pipe: aws-lambda-rie logs every invoke and would block on a full pipe.
    with tempfile.TemporaryFile() as err:
        started = time.monotonic()
        proc = subprocess.Popen(
            command,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=err,
            env={**os.environ, "AWS_LAMBDA_FUNCTION_TIMEOUT": "30"},
        )
        try:
            run.first_answer_ms = caller.first_answer_ms(run.address, started)
            yield run
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                sys.stderr.write(f"bench: {command[1]} ignored SIGTERM for 10 s: killed\n")
                proc.kill()
                proc.wait()
            err.seek(0)
            text = err.read().decode("utf-8", "replace")
            run.phases = parse_phases(text, started) or rie_phases(text, wall)


def parse_phases(stderr: str, started: float) -> dict[str, float]:
    """`lambdabox emulate: start-up PHASE at MONOTONIC` lines -> {PHASE: ms after start}."""
    phases: dict[str, float] = {}
    for line in stderr.splitlines():
        if line.startswith(PHASE_PREFIX):
            name, _, at = line[len(PHASE_PREFIX) :].rpartition(" at ")
            try:
                phases.setdefault(name, (float(at) - started) * 1000)
            except ValueError:
                continue
    return phases


RIE_PHASES = (  # aws-lambda-rie's debug lines (wall clock, ms) -> phase names
    ("Runtime API Server listening", "listening"),
    ("invoke: -> POST", "invoke received"),
    ("Start runtime", "runtime spawned"),
    ("API request - GET /2018-06-01/runtime/invocation/next", "runtime's first /next"),
    ("/response, Headers", "runtime's response"),
)


def rie_phases(stderr: str, wall_started: float) -> dict[str, float]:
    """aws-lambda-rie's `--log-level debug` lines (`03 Dec 2026 13:56:21,930 [DEBUG] ...`,
    local wall clock, millisecond resolution) -> {PHASE: ms after `wall_started`}."""
    phases: dict[str, float] = {}
    for line in stderr.splitlines():
        name = next((n for text, n in RIE_PHASES if text in line), None)
        if name is None or name in phases:
            continue
        stamp, _, _ = line.partition(" [")
        try:
            at = time.mktime(time.strptime(stamp[:20], "%d %b %Y %H:%M:%S"))
            at += int(stamp[21:24]) / 1000
        except ValueError:
            continue
        phases[name] = (at - wall_started) * 1000
    return phases


def cold_ms(command: Sequence[str], port: int) -> tuple[float, dict[str, float]]:
    """Start to first answer, and the phases when the emulator reports them."""
    with running(command, port) as run:
        pass
    return run.first_answer_ms, run.phases


def warm(command: Sequence[str], port: int, event: bytes, count: int) -> list[float]:
    """Ms per warm sequential invoke."""
    with running(command, port) as run:
        return caller.latencies(run.address, event, count)
