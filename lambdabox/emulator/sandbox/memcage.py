"""A process-mode runtime's memory size, enforced as the service enforces it.

In the service an environment that uses more than its memory size is killed by the
kernel ("Runtime exited with error: signal: killed", Runtime.ExitError) and its REPORT
shows the memory size as Max Memory Used. A container gets that from its cgroup; a local
runtime gets a cgroup of its own here: a child of the emulator's memory cgroup (cgroup v2
or v1) with the limit and no swap, holding the runtime, its extensions and their children.
Creating one needs write access to the emulator's cgroup (root, or a delegated cgroup);
without it `limit_data` sets RLIMIT_DATA instead, where an allocation past the size fails
(MemoryError) rather than the runtime being killed.
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import os
import resource
import signal
import time
from pathlib import Path

from lambdabox.emulator.cgroup import CGROUP_ROOT

_serial = itertools.count(1)
_swept: set[Path] = set()


class CageUnavailable(Exception):
    """No memory cgroup can be made here; the message says why and what would allow it."""


def _parent_v2(own: Path) -> Path:
    """Where a v2 cage can go: under the emulator's cgroup when it hands the memory
    controller to its children, else next to it when its parent does (a cgroup with
    processes cannot enable controllers for children of its own)."""
    try:
        if "memory" in (own / "cgroup.subtree_control").read_text().split():
            return own
    except OSError:
        pass
    if (own / "memory.max").is_file():
        return own.parent
    raise CageUnavailable(
        f"the memory controller is not delegated to {own} (cgroup.subtree_control of its parent)"
    )


def _sweep_stale(parent: Path) -> None:
    """Remove empty cages left by an emulator that was killed (its pid is gone)."""
    for stale in parent.glob("lambdabox-*-*-*"):
        pid = stale.name.split("-")[1]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            with contextlib.suppress(OSError):
                stale.rmdir()


def _own_memory_cgroup() -> tuple[Path, int]:
    """Where the emulator's cages go (a memory cgroup directory) and the cgroup version."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError as exc:
        raise CageUnavailable(f"cannot read /proc/self/cgroup: {exc}") from None
    for line in lines:
        _, controllers, rel = line.split(":", 2)
        if "memory" in controllers.split(","):
            return CGROUP_ROOT / "memory" / rel.lstrip("/"), 1
    for line in lines:
        _, controllers, rel = line.split(":", 2)
        if controllers == "" and (CGROUP_ROOT / "cgroup.controllers").is_file():
            return _parent_v2(CGROUP_ROOT / rel.lstrip("/")), 2
    raise CageUnavailable("no memory cgroup controller is mounted")


class MemoryCage:
    """One runtime's cgroup, limited to `memory_mb` with no swap; `remove()` when done."""

    def __init__(self, path: Path, version: int, limit_bytes: int) -> None:
        self.path = path
        self.version = version
        self.limit_bytes = limit_bytes
        self._peak_fd: int | None = None  # kept open: read after every invocation

    @classmethod
    def create(cls, label: str, memory_mb: int) -> MemoryCage:
        """A fresh cgroup under the emulator's own; CageUnavailable when none can be made."""
        parent, version = _own_memory_cgroup()
        path = parent / f"lambdabox-{os.getpid()}-{label}-{next(_serial)}"
        limit = str(memory_mb * 1024 * 1024)
        if parent not in _swept:  # once per emulator
            _swept.add(parent)
            _sweep_stale(parent)
        try:
            path.mkdir()
        except OSError as exc:
            raise CageUnavailable(f"cannot create {path}: {exc.strerror}") from None
        cage = cls(path, version, memory_mb * 1024 * 1024)
        try:
            if version == 2:
                if not (path / "memory.max").is_file():
                    raise CageUnavailable(f"no memory controller in {path}")
                cage._write("memory.max", limit)
                with contextlib.suppress(OSError):
                    cage._write("memory.swap.max", "0")
            else:
                cage._write("memory.limit_in_bytes", limit)
                with contextlib.suppress(OSError):  # absent without swap accounting
                    cage._write("memory.memsw.limit_in_bytes", limit)
                with contextlib.suppress(OSError):  # charges follow a process that joins
                    cage._write("memory.move_charge_at_immigrate", "3")
        except OSError as exc:
            cage.remove()
            raise CageUnavailable(f"cannot set the memory limit in {path}: {exc}") from None
        except CageUnavailable:
            cage.remove()
            raise
        return cage

    def _write(self, name: str, value: str) -> None:
        (self.path / name).write_text(value)

    def admit(self, pid: int) -> None:
        """Move `pid` (a process just started) into the cage; its later children follow."""
        with contextlib.suppress(ProcessLookupError):
            try:
                self._write("cgroup.procs", str(pid))
            except OSError as exc:
                if exc.errno != errno.ESRCH:
                    raise

    def procs(self) -> list[int]:
        """The processes in the cage now."""
        try:
            return [int(p) for p in (self.path / "cgroup.procs").read_text().split()]
        except OSError:
            return []

    def peak_bytes(self) -> int:
        """The cage's high-water mark (0 when unknown). Read after every invocation (its
        REPORT line), through one descriptor kept open: a cgroup file read again from
        offset 0 is generated afresh, and opening it each time cost ~0.1 ms a call."""
        try:
            if self._peak_fd is None:
                name = "memory.peak" if self.version == 2 else "memory.max_usage_in_bytes"
                self._peak_fd = os.open(self.path / name, os.O_RDONLY | os.O_CLOEXEC)
            return int(os.pread(self._peak_fd, 64, 0).split()[0])
        except (OSError, ValueError, IndexError):
            return 0

    def _close_peak(self) -> None:
        if self._peak_fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._peak_fd)
            self._peak_fd = None

    def remove(self) -> None:
        """Kill whatever is left in it, then remove the cgroup (never raises)."""
        self._close_peak()
        for _ in range(50):
            try:
                self.path.rmdir()
                return
            except FileNotFoundError:
                return
            except OSError:
                for pid in self.procs():
                    with contextlib.suppress(OSError):
                        os.kill(pid, signal.SIGKILL)
                time.sleep(0.01)


def limit_data(pid: int, memory_mb: int) -> None:
    """The fallback: cap `pid`'s data segment (heap and private mappings) at `memory_mb`."""
    size = memory_mb * 1024 * 1024
    with contextlib.suppress(ProcessLookupError):
        resource.prlimit(pid, resource.RLIMIT_DATA, (size, size))
