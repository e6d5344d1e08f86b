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

from ..oci.errors import BuilderError
from .tree import entries_from_tree

__all__ = ["Fingerprint", "Watcher", "fingerprint", "watch"]

Fingerprint = tuple[tuple[str, ...], ...]
_EVENT = struct.Struct("iIII")
_IN_MODIFY, _IN_CLOSE_WRITE, _IN_MOVED_FROM, _IN_DELETE = 0x2, 0x8, 0x40, 0x200
_MASK = 0x2 | 0x4 | 0x8 | 0x40 | 0x80 | 0x100 | 0x200 | 0x400 | 0x800  # modify..move_self
_ONLYDIR = 0x01000000
_ISDIR = 0x40000000
_SETTLE_S = 0.001
"""After the first event, wait until none came for this long (editors write in steps)."""
_WRITE_WAIT_S = 1.0
"""How long to wait at most for files being written to be closed."""


def fingerprint(inputs: Sequence[Path], skip: Sequence[Path] = ()) -> Fingerprint:
    """What the build would read from `inputs` (folders walked, files stat'ed), `skip` not."""
    rows: list[tuple[str, ...]] = []
    for root in inputs:
        if root.is_dir():
            for entry in entries_from_tree(root, skip=skip):
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


def _folders(inputs: Sequence[Path], seen: Fingerprint) -> list[Path]:
    """Every folder to watch: the input folders, their subfolders in `seen` (a fingerprint
    of `inputs`), and the parents of input files."""
    found = [root if root.is_dir() else (root.parent if root.parent.is_dir() else Path("."))
             for root in inputs]  # fmt: skip
    found += [Path(row[0]) / row[1] for row in seen if len(row) == 5 and row[2] == "dir"]
    return sorted(set(found))


def _track_writes(data: bytes, writing: set[tuple[int, bytes]]) -> None:
    """Update `writing` (watch, name) from a buffer of inotify events: a file modified is
    being written until it is closed, deleted or moved away. (Creation alone does not count:
    symlinks and fifos are never closed after writing.)"""
    offset = 0
    while offset + _EVENT.size <= len(data):
        wd, mask, _cookie, size = _EVENT.unpack_from(data, offset)
        name = data[offset + _EVENT.size : offset + _EVENT.size + size].rstrip(b"\0")
        offset += _EVENT.size + size
        if mask & _ISDIR:
            continue
        if mask & _IN_MODIFY:
            writing.add((wd, name))
        if mask & (_IN_CLOSE_WRITE | _IN_DELETE | _IN_MOVED_FROM):
            writing.discard((wd, name))


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
        """Block until an event, then until none came for `_SETTLE_S` and every file seen
        being written was closed again (at most `_WRITE_WAIT_S` more): a build must not
        read a file between its truncation and its new content."""
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return False
        writing: set[tuple[int, bytes]] = set()
        deadline = time.monotonic() + _WRITE_WAIT_S
        while True:
            quiet = _SETTLE_S if not writing else max(0.0, min(0.05, deadline - time.monotonic()))
            if not select.select([self.fd], [], [], quiet)[0]:
                if not writing or time.monotonic() >= deadline:
                    return True
                continue
            with contextlib.suppress(BlockingIOError):
                _track_writes(os.read(self.fd, 64 * _EVENT.size + 65536), writing)

    def close(self) -> None:
        os.close(self.fd)


class Watcher:
    """Waits for changes of `inputs`; one inotify descriptor for its whole life (closing one
    costs milliseconds in the kernel), or polling every `interval` s without inotify."""

    def __init__(
        self,
        inputs: Sequence[Path],
        *,
        interval: float = 0.25,
        use_inotify: bool = True,
        skip: Sequence[Path] = (),
    ) -> None:
        self.inputs = list(inputs)
        self.skip = list(skip)
        self.interval = interval
        self.notify: _Inotify | None = None
        if use_inotify and os.uname().sysname == "Linux":
            with contextlib.suppress(OSError, AttributeError):
                self.notify = _Inotify(_folders(self.inputs, fingerprint(self.inputs, self.skip)))

    def wait_for_change(self, last: Fingerprint) -> Fingerprint:
        """Block until the fingerprint of the inputs differs from `last`; return the new one."""
        while True:  # armed first, then compared: a change made meanwhile is not missed
            try:
                now = fingerprint(self.inputs, self.skip)
            except (BuilderError, OSError):  # mid-save: a file vanished; look again
                now = last
            if self.notify is not None:
                self.notify.add(_folders(self.inputs, now))  # folders created since, too
            if now != last:
                # A write that began before the fingerprint ended is already queued as an event:
                # then wait for it to end and look again, so no half-written file is built.
                if self.notify is None or not self.notify.wait(0):
                    return now
                continue
            if self.notify is None:
                time.sleep(self.interval)
                continue
            self.notify.wait(None)

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
    skip: Sequence[Path] = (),
) -> None:
    """`build()` now and after every change of `inputs` (not of `skip`: the build's own
    output), until Ctrl-C. A failing build (BuilderError) is reported and the watch goes on.
    """
    watcher = Watcher(inputs, interval=interval, skip=skip)
    try:
        last = fingerprint(inputs, skip)
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
