"""`lambdabox build --watch`: build again whenever the inputs change, until Ctrl-C.

The inner loop of function development: one process stays up, so a code change costs the
rebuild itself (one small layer and the layout's JSON: a few milliseconds) instead of a new
interpreter, its imports and a new base lookup each time.

Changes are seen through Linux inotify (through ctypes, standard library only), on every
folder of the inputs, or by polling every `interval` seconds where inotify is missing. Either
way a change is confirmed by a fingerprint of the inputs (paths, kinds, sizes, mtimes, as the
build reads them: `.lambdaboxignore` applies), so the build's own output, editor swap files
in ignored folders and touch-without-change events do not trigger a build.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import select
import struct
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from .errors import BuilderError
from .tree import entries_from_tree

__all__ = ["Fingerprint", "Watcher", "fingerprint", "watch"]

Fingerprint = tuple[tuple[str, ...], ...]
_EVENT = struct.Struct("iIII")
_MASK = 0x2 | 0x4 | 0x8 | 0x40 | 0x80 | 0x100 | 0x200 | 0x400 | 0x800  # modify..move_self
_ONLYDIR = 0x01000000
_SETTLE_S = 0.002
"""After the first event, wait until none came for this long (editors write in steps)."""


def fingerprint(inputs: Sequence[Path]) -> Fingerprint:
    """What the build would read from `inputs` (folders walked, files stat'ed)."""
    rows: list[tuple[str, ...]] = []
    for root in inputs:
        if root.is_dir():
            for entry in entries_from_tree(root):
                stat = os.lstat(entry.origin) if entry.origin else None
                times = f"{stat.st_mtime_ns} {stat.st_size}" if stat else ""
                rows.append((str(root), entry.path, entry.kind, entry.target or "", times))
        else:
            try:
                stat = root.stat()
            except FileNotFoundError:
                rows.append((str(root), "missing"))
                continue
            rows.append((str(root), f"{stat.st_mtime_ns} {stat.st_size}"))
    return tuple(rows)


def _folders(inputs: Sequence[Path]) -> list[Path]:
    """Every folder to watch: the input folders and their subfolders, files' parents."""
    found: list[Path] = []
    for root in inputs:
        if not root.is_dir():
            found.append(root.parent if root.parent.is_dir() else Path("."))
            continue
        found.append(root)
        found += [root / e.path for e in entries_from_tree(root) if e.kind == "dir"]
    return sorted(set(found))


class _Inotify:
    """A Linux inotify descriptor watching `folders` (any event in them wakes `wait`)."""

    def __init__(self, folders: Sequence[Path]) -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        self._add = libc.inotify_add_watch
        self.fd = int(libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC))
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1 failed")
        self.add(folders)

    def add(self, folders: Sequence[Path]) -> None:
        """Watch `folders` too (a folder watched already keeps its watch)."""
        for folder in folders:
            self._add(self.fd, os.fsencode(folder), _MASK | _ONLYDIR)

    def wait(self, timeout: float | None) -> bool:
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return False
        while select.select([self.fd], [], [], _SETTLE_S)[0]:
            with contextlib.suppress(BlockingIOError):
                os.read(self.fd, 64 * _EVENT.size + 65536)
        return True

    def close(self) -> None:
        os.close(self.fd)


class Watcher:
    """Waits for changes of `inputs`; one inotify descriptor for its whole life (closing one
    costs milliseconds in the kernel), or polling every `interval` s without inotify."""

    def __init__(
        self, inputs: Sequence[Path], *, interval: float = 0.25, use_inotify: bool = True
    ) -> None:
        self.inputs = list(inputs)
        self.interval = interval
        self.notify: _Inotify | None = None
        if use_inotify and os.uname().sysname == "Linux":
            with contextlib.suppress(OSError, AttributeError):
                self.notify = _Inotify(_folders(self.inputs))

    def wait_for_change(self, last: Fingerprint) -> Fingerprint:
        """Block until the fingerprint of the inputs differs from `last`; return the new one."""
        while True:  # armed first, then compared: a change made meanwhile is not missed
            try:
                now = fingerprint(self.inputs)
            except (BuilderError, OSError):  # mid-save: a file vanished; look again
                now = last
            if now != last:
                return now
            if self.notify is None:
                time.sleep(self.interval)
                continue
            self.notify.wait(None)
            with contextlib.suppress(BuilderError, OSError):
                self.notify.add(_folders(self.inputs))  # folders created since

    def close(self) -> None:
        if self.notify is not None:
            self.notify.close()
            self.notify = None


def watch(
    inputs: Sequence[Path],
    build: Callable[[], object],
    *,
    say: Callable[[str], None],
    interval: float = 0.25,
) -> None:
    """`build()` now and after every change of `inputs`, until Ctrl-C.

    A failing build (BuilderError) is reported and the watch goes on.
    """
    watcher = Watcher(inputs, interval=interval)
    try:
        last = fingerprint(inputs)
        _build_once(build, say)
        say("watching for changes (Ctrl-C to stop)")
        while True:
            last = watcher.wait_for_change(last)
            _build_once(build, say)
    except KeyboardInterrupt:
        say("stopped watching")
    finally:
        watcher.close()


def _build_once(build: Callable[[], object], say: Callable[[str], None]) -> None:
    try:
        build()
    except BuilderError as exc:
        say(f"error: {exc} (fix it and save: the watch goes on)")
