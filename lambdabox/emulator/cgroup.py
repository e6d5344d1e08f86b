"""A container's view from the host: its memory cgroup, its processes, its PID 1's signal mask."""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Sequence
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")

# Files holding the cgroup's memory figure: a true high-water mark first, else usage now.
_PEAK_FILES = ("memory.peak", "memory.max_usage_in_bytes")
_CURRENT_FILES = ("memory.current", "memory.usage_in_bytes")


def cgroup_candidates(container_id: str, pid: int | None) -> list[Path]:
    """Where the container's memory cgroup may be, most likely first.

    From /proc/PID/cgroup when the PID is the container's (checked by its id showing in
    the path), then the usual cgroupfs and systemd locations, cgroup v2 and v1.
    """
    found: list[Path] = []
    if pid:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines():
                _, controllers, rel = line.split(":", 2)
                if container_id not in rel:
                    continue
                if controllers == "":
                    found.append(CGROUP_ROOT / rel.lstrip("/"))
                elif "memory" in controllers.split(","):
                    found.append(CGROUP_ROOT / "memory" / rel.lstrip("/"))
    for base in (CGROUP_ROOT, CGROUP_ROOT / "memory"):
        found.append(base / "docker" / container_id)
        found.append(base / "system.slice" / f"docker-{container_id}.scope")
    return found


def cgroup_procs(candidates: Sequence[Path]) -> Path | None:
    """The `cgroup.procs` file of the first candidate that exists (its processes)."""
    for directory in candidates:
        if (directory / "cgroup.procs").is_file():
            return directory / "cgroup.procs"
    return None


def read_pids(procs: Path) -> list[int]:
    """The pids listed in a `cgroup.procs` file ([] once the cgroup is gone)."""
    try:
        return [int(p) for p in procs.read_text().split()]
    except (OSError, ValueError):
        return []


class MemoryProbe:
    """Reads a container's memory from its cgroup: the peak when the kernel keeps one."""

    def __init__(self, candidates: Sequence[Path]) -> None:
        self._file: Path | None = None
        self.is_peak = False
        for directory in candidates:
            for names, is_peak in ((_PEAK_FILES, True), (_CURRENT_FILES, False)):
                for name in names:
                    if (directory / name).is_file():
                        self._file, self.is_peak = directory / name, is_peak
                        return

    @property
    def found(self) -> bool:
        return self._file is not None

    def read(self) -> int:
        """Bytes (0 when the cgroup is gone or unreadable)."""
        if self._file is None:
            return 0
        try:
            return int(self._file.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return 0


def catches_sigterm(pid: int | None, container_id: str) -> bool:
    """Whether the container's PID 1 handles SIGTERM. The kernel drops signals that PID 1
    does not handle, so when it does not, waiting for a graceful exit is pointless.
    Unknown (another PID namespace, unreadable): assume it does."""
    if not pid:
        return True
    try:
        if container_id not in Path(f"/proc/{pid}/cgroup").read_text():
            return True
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("SigCgt:"):
                return bool(int(line.split()[1], 16) & (1 << (signal.SIGTERM - 1)))
    except (OSError, ValueError, IndexError):
        pass
    return True
