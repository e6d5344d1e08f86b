"""One soak run: start, load with faults, drain, stop, then check the ledger."""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import requests

from soak.emulator import MAX_CONCURRENCY, Emulator
from soak.faults import Injector, Slowloris
from soak.ledger import Ledger
from soak.procs import open_fds, rss_kib, with_cwd
from soak.traffic import INVOKE, Callers

HANDLER = Path(__file__).resolve().parent / "handler"
RSS_MARGIN_KIB = 40 * 1024
FD_MARGIN = 20


def _figures(emu: Emulator) -> tuple[int, int]:
    return rss_kib(emu.pid), open_fds(emu.pid)


def run_soak(seconds: float, callers: int, say: Callable[[str], object]) -> int:
    """Run the soak; print the ledger and violations; return the exit status."""
    ledger = Ledger()
    with tempfile.TemporaryDirectory(prefix="lambdabox-soak-") as tmp:
        work = Path(tmp)
        function = work / "fn"
        shutil.copytree(HANDLER, function)
        record, log = work / "events.log", work / "emulator.log"
        emu = Emulator(function, work / "state", log)
        emu.start()
        try:
            return _soak(emu, ledger, _Run(function, record, log, seconds, callers), say)
        finally:
            emu.stop()


@dataclass(frozen=True)
class _Run:
    function: Path
    record: Path
    log: Path
    seconds: float
    callers: int


def _soak(emu: Emulator, ledger: Ledger, run: _Run, say: Callable[[str], object]) -> int:
    """Warm up, load with faults, drain, stop; return the exit status."""
    function, record, log, seconds, callers = (
        run.function,
        run.record,
        run.log,
        run.seconds,
        run.callers,
    )
    for n in range(20):  # warm-up
        requests.post(emu.base + INVOKE, json={"n": n}, timeout=30)
    rss0, fds0 = _figures(emu)
    down = threading.Event()
    slow = Slowloris(ledger)
    slow.open("127.0.0.1", emu.port)
    traffic = Callers(ledger, lambda: emu.base, down, str(record))
    injector = Injector(ledger, lambda: emu.pid, period=1.5)
    say(f"soak: {seconds:.0f} s, {callers} callers, emulator pid {emu.pid}")
    traffic.start(callers)
    injector.start()
    started = time.monotonic()
    restarted = False
    while time.monotonic() - started < seconds:
        time.sleep(1)
        slow.trickle()
        if not restarted and time.monotonic() - started > seconds / 2:
            down.set()
            status = emu.restart()
            down.clear()
            restarted = True
            ledger.fault(f"SIGTERM + restart emulator (exit {status})")
            slow.close()
            slow.open("127.0.0.1", emu.port)
    injector.stop()
    traffic.stop()
    slow.close()
    outcome = _drain(ledger, traffic, record, log)
    time.sleep(3)
    rss1, fds1 = _figures(emu)
    emu.stop()
    time.sleep(1)
    violations = outcome + _resource_violations(ledger, (rss0, fds0), (rss1, fds1))
    leftovers = with_cwd(function)
    if leftovers:
        violations.append(f"processes left behind: {leftovers}")
    say(ledger.table())
    for violation in sorted(set(violations)):
        say(f"VIOLATION: {violation}")
    say("soak: " + ("FAILED" if violations else "passed"))
    return 1 if violations else 0


def _resource_violations(ledger: Ledger, start: tuple[int, int], end: tuple[int, int]) -> list[str]:
    (rss0, fds0), (rss1, fds1) = start, end
    ledger.notes["emulator RSS start/end MiB"] = f"{rss0 // 1024}/{rss1 // 1024}"
    ledger.notes["emulator fds start/end"] = f"{fds0}/{fds1}"
    violations = [f"{e.kind}: {e.outcome}" for e in ledger.malformed()]
    if rss1 - rss0 > RSS_MARGIN_KIB:
        violations.append(f"RSS grew by {(rss1 - rss0) // 1024} MiB")
    if fds1 - fds0 > FD_MARGIN:
        violations.append(f"open descriptors grew by {fds1 - fds0}")
    return violations


def _drain(ledger: Ledger, traffic: Callers, record: Path, log: Path) -> list[str]:
    """Wait (up to 60 s) for every accepted Event to run or be reported failed."""
    deadline = time.monotonic() + 60
    while True:
        runs = (
            Counter(line.split()[0] for line in record.read_text().splitlines() if line.strip())
            if record.exists()
            else Counter()
        )
        text = log.read_text(errors="replace")
        pending = [
            e for e in ledger.accepted_events
            if not runs[e] and f"invocation {traffic.event_ids.get(e)} failed" not in text
        ]  # fmt: skip
        if not pending or time.monotonic() > deadline:
            break
        time.sleep(1)
    violations = [f"accepted Event {e} neither ran nor was reported failed" for e in pending]
    for event_id in ledger.accepted_events:
        if runs[event_id] > 1:
            ledger.add("event", f"ran {runs[event_id]} times (retried)")
        elif runs[event_id] == 1:
            ledger.add("event", "ran once")
        elif event_id not in pending:
            ledger.add("event", "reported failed (async failure log)")
    extra = sum(n - 1 for n in runs.values() if n > 1)
    due = sum(n for name, n in ledger.faults.items() if "runtime" in name)
    due += MAX_CONCURRENCY * sum(n for name, n in ledger.faults.items() if "restart" in name)
    if extra > due:
        violations.append(f"{extra} duplicate Event runs, more than the {due} faults allow")
    return violations
