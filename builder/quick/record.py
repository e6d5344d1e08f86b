"""The build record: what the fast path needs from the previous build, in the output layout.

`<output>/.lambdabox-build-record` is a `marshal`led dict written by the full path
(`capture`) and updated by each fast build (atomically: temp file, then rename):

    format      RECORD_FORMAT
    key         (argv, cwd, environment, interpreter): the command it was made for
    sources     ((path, mtime_ns, size), ...) of the builder's own modules and, for the
                default base, of what its resolution reads: base_images/<runtime>/base.toml,
                the bundled runtime_interface and emulator sources and their folders
    hashed      ((path, sha256 hex or ""), ...) of the requirements file, the base layout's
                index.json (--base DIR, or the default base's layout in the cache, and its
                .complete mark) and the code folder's .lambdaboxignore ("" = absent)
    present     ((path, size), ...) blobs that must exist: the layer cache's dependency
                blob, and every layer below the code in the output
    realpaths   ((path, real path), ...) of the base (--base DIR, or the default base's
                layout), code and output folders (a symlink pointed elsewhere changes the
                base's recorded name or the output checks)
    tree        (source, decisions {(path, is_dir): ignored}, symlinks {path: target},
                opaque, prefix, mtime, level)
    config, manifest, index     templates: bytes with str slots for the code layer
    index_bytes the output's index.json as last written
    summary     the fixed parts of the --json summary
    code        (digest hex, diff_id hex, size) of the last code layer

Anything unexpected in it (another format, a missing key, a wrong type) makes `load` return
None: the full path runs and writes a new record.
"""

from __future__ import annotations

import marshal
import os
import signal
import sys
from stat import S_ISDIR
from zlib import crc32

from .digests import file_sha256

__all__ = ["RECORD_FILE", "RECORD_FORMAT", "command_key", "load", "save", "unchanged"]

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

    Record = dict[str, Any]

RECORD_FILE = ".lambdabox-build-record"
RECORD_FORMAT = 4
"""Bump when the record's meaning changes: older records are then ignored."""
ENVIRONMENT = ("SOURCE_DATE_EPOCH", "LAMBDABOX_CACHE", "XDG_CACHE_HOME", "HOME")
"""What the build reads from the environment (timestamps, the cache's location)."""


def command_key(argv: Sequence[str]) -> tuple[object, ...]:
    """What makes two `lambdabox build` runs the same command."""
    env = tuple(os.environ.get(name) for name in ENVIRONMENT)
    return (tuple(argv), os.getcwd(), env, sys.executable, sys.version, RECORD_FORMAT)


def load(output: str) -> Record | None:
    """The record in the layout `output`, or None (absent, damaged, or another format)."""
    try:
        with open(os.path.join(output, RECORD_FILE), "rb", buffering=0) as file:
            record = marshal.loads(file.read())
    except (OSError, ValueError, EOFError, TypeError):
        return None
    if not isinstance(record, dict) or record.get("format") != RECORD_FORMAT:
        return None
    return record


def save(output: str, record: Record) -> None:
    """Write `record` into `output` (temp file, then rename: never half a record)."""
    target = os.path.join(output, RECORD_FILE)
    temp = f"{target}.tmp-{os.getpid()}"
    # Ctrl-C (or SIGTERM) waits until the record is written: --watch prints a build's line
    # before saving its record, and a stop right after the line must not leave the record
    # of the build before (the next build would then take the full path).
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        with open(temp, "wb") as file:
            file.write(marshal.dumps(record))
        os.replace(temp, target)
    except BaseException:
        try:  # noqa: SIM105 - contextlib costs the fast path 2-6 ms to import
            os.unlink(temp)
        except OSError:
            pass
        raise
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)


def discard(output: str) -> None:
    """Remove the record of `output`, if any."""
    try:  # noqa: SIM105 - contextlib costs the fast path 2-6 ms to import
        os.unlink(os.path.join(output, RECORD_FILE))
    except FileNotFoundError:
        pass


def source_stats(paths: Sequence[str]) -> tuple[tuple[str, int, int], ...]:
    """(path, mtime_ns, size) of each of `paths` (the builder's modules, the bundled
    sources); a folder's row is (path, -1, a checksum of its names) instead."""
    return tuple(_row(path) for path in paths)


def _row(path: str) -> tuple[str, int, int]:
    """A folder is known by the names in it, bar `__pycache__`: Python creating one (or
    a file added and removed again) changes the folder's mtime, not what a build reads."""
    stat = os.stat(path)
    if not S_ISDIR(stat.st_mode):
        return (path, stat.st_mtime_ns, stat.st_size)
    names = sorted(name for name in os.listdir(path) if name != "__pycache__")
    return (path, -1, crc32("\0".join(names).encode("utf-8", "surrogateescape")))


def hashed(path: str) -> str:
    """The sha256 hex of the file at `path`, or "" when there is none."""
    try:
        return file_sha256(path)
    except FileNotFoundError:
        return ""


def unchanged(record: Record) -> bool:
    """Whether everything but the code is as it was when `record` was written."""
    try:
        for row in record["sources"]:
            if _row(row[0]) != tuple(row):
                return False
        for path, digest in record["hashed"]:
            if hashed(path) != digest:
                return False
        for path, size in record["present"]:
            if os.stat(path).st_size != size:
                return False
        for path, real in record["realpaths"]:
            if os.path.realpath(path) != real:
                return False
    except (OSError, KeyError, TypeError, ValueError):
        return False
    return True
