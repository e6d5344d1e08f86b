"""One soak run: for each mode, start, load with faults, drain, stop, then check the ledger.

Modes: ``process`` (``lambdabox emulate``, runtimes SIGKILLed/SIGSTOPped from the host)
and ``container`` (``lambdabox run IMAGE``, containers ``docker kill``ed from outside).
Each phase has its own ledger; the soak fails when any phase has a violation.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import requests

from soak.emulator import MAX_CONCURRENCY, Emulator
from soak.faults import Injector, Slowloris
from soak.ledger import Ledger
from soak.procs import open_fds, rss_kib, with_cwd
from soak.traffic import INVOKE, Callers

HANDLER = Path(__file__).resolve().parent / "handler"
RSS_MARGIN_KIB = 40 * 1024
FD_MARGIN = 20
LOG_TAIL = 80
MODES = ("process", "container")
_RAN = re.compile(r"SOAK-RAN ([0-9a-f]+) ")


class _Faults(Protocol):
    def start(self) -> None: ...
    def stop(self) -> None: ...


def _figures(emu: Emulator) -> tuple[int, int]:
    return rss_kib(emu.pid), open_fds(emu.pid)


def run_soak(
    seconds: float, callers: int, say: Callable[[str], object], modes: Sequence[str] = MODES
) -> int:
    """Run each mode for its share of ``seconds``; print ledgers and violations; exit status."""
    unknown = sorted(set(modes) - set(MODES))
    if unknown or not modes:
        say(f"soak: SOAK_MODES must name {' and/or '.join(MODES)}, not {','.join(modes)!r}")
        return 2
    status = 0
    for mode in modes:
        say(f"== soak phase: {mode} mode ==")
        status |= _phase(mode, seconds / len(modes), callers, say)
    say("soak: " + ("FAILED" if status else "passed"))
    return status


def _phase(mode: str, seconds: float, callers: int, say: Callable[[str], object]) -> int:
    ledger = Ledger()
    image = None
    if mode == "container":
        from soak.containers import soak_image

        image = soak_image(say)
    with tempfile.TemporaryDirectory(prefix="lambdabox-soak-") as tmp:
        work = Path(tmp)
        function = work / "fn"
        shutil.copytree(HANDLER, function)
        record, log = work / "events.log", work / "emulator.log"
        emu = Emulator(function, work / "state", log, image)
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


def _runs(emu: Emulator, run: _Run) -> Counter[str]:
    """How many times each Event id ran: its record file, or (containers) its log lines."""
    if emu.image is not None:
        return Counter(_RAN.findall(run.log.read_text(errors="replace")))
    if not run.record.exists():
        return Counter()
    return Counter(line.split()[0] for line in run.record.read_text().splitlines() if line.strip())


def _soak(emu: Emulator, ledger: Ledger, run: _Run, say: Callable[[str], object]) -> int:
    """Warm up, load with faults, drain, stop; return the exit status."""
    _warm_up(emu)
    rss0, fds0 = _figures(emu)
    down = threading.Event()
    slow = Slowloris(ledger)
    slow.open("127.0.0.1", emu.port)
    record = "" if emu.image is not None else str(run.record)  # "": the handler logs it
    traffic = Callers(ledger, lambda: emu.base, down, record)
    injector: _Faults
    if emu.image is None:
        injector = Injector(ledger, lambda: emu.pid, period=1.5)
    else:
        from soak.containers import ContainerInjector

        injector = ContainerInjector(ledger, lambda: emu.run_id, period=1.5)
    say(f"soak: {run.seconds:.0f} s, {run.callers} callers, emulator pid {emu.pid}")
    traffic.start(run.callers)
    injector.start()
    started = time.monotonic()
    restarted = False
    while time.monotonic() - started < run.seconds:
        time.sleep(1)
        slow.trickle()
        if not restarted and time.monotonic() - started > run.seconds / 2:
            down.set()
            status = emu.restart()
            down.clear()
            restarted = True
            ledger.fault(f"SIGTERM + restart emulator (exit {status})")
            ledger.notes["restart: SIGTERM to exit s"] = f"{emu.stopped_in_s:.2f}"
            ledger.notes["restart: start to first answer s"] = f"{emu.answered_in_s:.2f}"
            slow.close()
            slow.open("127.0.0.1", emu.port)
    injector.stop()
    traffic.stop()
    slow.close()
    outcome = _drain(ledger, traffic, lambda: _runs(emu, run), run.log)
    time.sleep(3)
    rss1, fds1 = _figures(emu)
    emu.stop()
    time.sleep(1)
    violations = outcome + _resource_violations(ledger, (rss0, fds0), (rss1, fds1))
    violations += _leftovers(emu, run)
    say(ledger.table())
    for violation in sorted(set(violations)):
        say(f"VIOLATION: {violation}")
    if violations:  # the emulator's log goes with the temporary folder: keep its end
        tail = run.log.read_text(errors="replace").splitlines()[-LOG_TAIL:]
        say("\n".join(["-- emulator log (last lines) --", *tail]))
    say("soak phase: " + ("FAILED" if violations else "passed"))
    return 1 if violations else 0


def _warm_up(emu: Emulator) -> None:
    """Every environment started (concurrent calls), so that the figures taken next count
    what each environment holds (a container's log stream and API connections)."""

    def calls(worker: int) -> None:
        with requests.Session() as session:
            for n in range(5):
                payload = {"action": "sleep", "seconds": 0.3, "n": worker * 10 + n}
                session.post(emu.base + INVOKE, json=payload, timeout=60)

    workers = [threading.Thread(target=calls, args=(w,)) for w in range(MAX_CONCURRENCY)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)


def _leftovers(emu: Emulator, run: _Run) -> list[str]:
    processes = with_cwd(run.function)
    found = [f"processes left behind: {processes}"] if processes else []
    if emu.image is not None:
        from soak.containers import leftover_containers

        containers = leftover_containers(set(emu.run_ids()))
        if containers:
            found.append(f"containers left behind: {containers}")
    return found


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


def _drain(
    ledger: Ledger, traffic: Callers, runs_of: Callable[[], Counter[str]], log: Path
) -> list[str]:
    """Wait (up to 60 s) for every accepted Event to run or be reported failed."""
    deadline = time.monotonic() + 60
    while True:
        runs = runs_of()
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
    due = sum(n for name, n in ledger.faults.items() if "runtime" in name or "container" in name)
    due += MAX_CONCURRENCY * sum(n for name, n in ledger.faults.items() if "restart" in name)
    if extra > due:
        violations.append(f"{extra} duplicate Event runs, more than the {due} faults allow")
    return violations
