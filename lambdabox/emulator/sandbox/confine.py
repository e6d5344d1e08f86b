"""One environment's local processes held to its memory size (process mode).

Each runtime started gets a fresh `MemoryCage` (so its peak is its own): the runtime and
the extensions are moved into it as soon as they are started; children they forked before
the move are found by a scan of their sessions, in a worker thread (off the cold start).
When no cgroup can be made, RLIMIT_DATA is set instead, and that is said once.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Protocol

from lambdabox.emulator import prestart
from lambdabox.emulator.sandbox.memcage import CageUnavailable, MemoryCage, limit_data

_FAILED: list[str] = []  # why no cgroup can be made here, once known


class Confinable(Protocol):
    """A local process the emulator started (a runtime or an extension)."""

    @property
    def pid(self) -> int: ...

    cage: MemoryCage | None

    def session(self) -> list[int]:
        """The processes of its session (a scan of /proc)."""
        ...


class Confinement:
    """The memory cage of one environment's current runtime, or the rlimit fallback."""

    def __init__(self, label: str, memory_mb: int, warn: Callable[[str], None] | None) -> None:
        self.label = label
        self.memory_mb = memory_mb
        self._warn = warn or (lambda line: print(line, file=sys.stderr, flush=True))
        self.cage: MemoryCage | None = None
        self._sweep: threading.Thread | None = None

    def confine(self, procs: Sequence[Confinable]) -> None:
        """Hold `procs` (just started) to the memory size; replaces the previous cage."""
        self.release()
        if not procs:  # a container: it has a cgroup of its own
            return
        # A runtime started ahead was caged while the emulator imported itself.
        self.cage = prestart.take_cage(procs[0].pid, self.memory_mb)
        inside = {procs[0].pid} if self.cage is not None else set()
        if self.cage is None and not _FAILED:
            try:
                self.cage = MemoryCage.create(self.label, self.memory_mb)
            except CageUnavailable as exc:
                _FAILED.append(str(exc))  # said once per emulator, not tried again
                self._warn(
                    f"lambdabox: warning: memory size enforced with RLIMIT_DATA, not a cgroup "
                    f"({exc}): an allocation past {self.memory_mb} MB raises an out-of-memory "
                    "error in the function instead of the runtime being killed; run the "
                    "emulator as root (or in a cgroup delegated to it) to get the kill"
                )
        cage = self.cage
        caged = []
        for proc in procs:
            if cage is not None:
                try:
                    if proc.pid not in inside:
                        cage.admit(proc.pid)
                    proc.cage = cage
                    caged.append(proc)
                    continue
                except OSError as exc:
                    self._warn(
                        f"lambdabox: warning: cannot move {proc.pid} into {cage.path}: {exc}"
                    )
            limit_data(proc.pid, self.memory_mb)
        # A runtime caged as it started has forked nothing outside the cage.
        caged = [proc for proc in caged if proc.pid not in inside]
        if cage is not None and caged:
            # A plain thread: the event loop's default executor would be created (and
            # concurrent.futures imported) on the way to the first answer.
            self._sweep = threading.Thread(
                target=_sweep, args=(cage, caged), name="cage-sweep", daemon=True
            )
            self._sweep.start()

    def release(self) -> None:
        """Remove the current cage (whatever is still in it is killed)."""
        self._sweep = None  # a sweep still running only fails to move into a removed cage
        cage, self.cage = self.cage, None
        if cage is not None:
            cage.remove()


def _sweep(cage: MemoryCage, procs: Sequence[Confinable]) -> None:
    """Move the children forked before their parent was moved (a thread: scans /proc)."""
    for proc in procs:
        for pid in proc.session():
            with contextlib.suppress(OSError):
                cage.admit(pid)
