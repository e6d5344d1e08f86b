"""What goes into a layer: entries (file, directory, symlink) and the checks that make them safe.

Entry paths are POSIX and relative to the tree they come from. `normalize()` places them under
a target prefix (e.g. `/var/task`), adds every parent directory, rejects `..`, absolute paths,
duplicates and symlinks that resolve outside the tree, and sorts them: the order a tar is
written in.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import IO, Literal, Protocol

from ..oci.digest import Digest, hash_file
from ..oci.errors import UnsafePathError

__all__ = ["BytesSource", "Entry", "FileSource", "Kind", "Source", "normalize", "split_path"]

Kind = Literal["file", "dir", "symlink"]
_KINDS = ("file", "dir", "symlink")
_KINDS_FIX = "files need a source; folders and symlinks have none"
_MAX_SYMLINK_HOPS = 40  # as Linux's MAXSYMLINKS


class Source(Protocol):
    """The content of a file entry."""

    @property
    def size(self) -> int: ...

    def open(self) -> IO[bytes]: ...

    def digest(self) -> Digest:
        """The sha256 of the content, computed once."""
        ...


@dataclass(frozen=True)
class BytesSource:
    """Content held in memory."""

    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)

    def open(self) -> IO[bytes]:
        return io.BytesIO(self.data)

    def digest(self) -> Digest:
        return Digest.of(self.data)


@dataclass(frozen=True)
class FileSource:
    """Content of a regular file on disk; `size` is taken when the tree is scanned."""

    path: Path
    size: int

    def open(self) -> IO[bytes]:
        return self.path.open("rb")

    def digest(self) -> Digest:
        return self._sha256

    @cached_property
    def _sha256(self) -> Digest:
        return hash_file(self.path)[0]


@dataclass(frozen=True)
class Entry:
    """One path in a layer. Files are 0644, or 0755 when executable; directories 0755."""

    path: str
    kind: Kind = "file"
    executable: bool = False
    source: Source | None = None
    target: str = ""
    origin: str = field(default="", compare=False)
    """Where the entry came from (a file on disk, a zip member), for error messages."""

    @classmethod
    def file(cls, path: str, data: bytes, *, executable: bool = False) -> Entry:
        return cls(path, "file", executable, BytesSource(data))

    @classmethod
    def from_file(cls, path: str, file: Path, *, executable: bool | None = None) -> Entry:
        """`file` on disk at `path`; `executable` defaults to the file's own +x bit."""
        stat = file.stat()
        if executable is None:
            executable = bool(stat.st_mode & 0o111)
        return cls(path, "file", executable, FileSource(file, stat.st_size), origin=str(file))

    @classmethod
    def directory(cls, path: str) -> Entry:
        return cls(path, "dir")

    @classmethod
    def symlink(cls, path: str, target: str) -> Entry:
        return cls(path, "symlink", target=target)

    @property
    def mode(self) -> int:
        if self.kind == "symlink":
            return 0o777
        return 0o755 if self.kind == "dir" or self.executable else 0o644

    @property
    def size(self) -> int:
        return self.source.size if self.source is not None else 0

    def _where(self) -> str:
        return self.origin or self.path


def split_path(path: str, *, what: str = "path") -> tuple[str, ...]:
    """The components of a relative POSIX path; `.` and empty components are dropped.

    Raises UnsafePathError for an absolute path, a `..` component, a backslash or a name that is
    not valid UTF-8.
    """
    if path.startswith("/"):
        raise UnsafePathError(path, f"{what} is absolute", "use a path relative to the tree")
    if "\\" in path:
        raise UnsafePathError(path, f"{what} contains a backslash", "use '/' as the separator")
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        raise UnsafePathError(path, f"{what} is not valid UTF-8", "rename it") from None
    parts = tuple(part for part in path.split("/") if part not in ("", "."))
    if ".." in parts:
        raise UnsafePathError(path, f"{what} contains '..'", "remove the '..' component")
    return parts


def normalize(entries: Iterable[Entry], prefix: str = "/") -> tuple[Entry, ...]:
    """Entries placed under `prefix`, with parent directories added, checked and sorted."""
    by_path: dict[tuple[str, ...], Entry] = {}
    for entry in entries:
        parts = _entry_parts(entry)
        previous = by_path.get(parts)
        if previous is not None and not (previous.kind == entry.kind == "dir"):
            raise UnsafePathError(
                entry._where(),
                f"{'/'.join(parts)} appears twice in the layer",
                "keep one of the two entries",
            )
        by_path[parts] = entry
    _check_symlinks(by_path)
    base = split_path(prefix.lstrip("/"), what="prefix")
    placed: dict[tuple[str, ...], Entry] = {}
    for parts, entry in by_path.items():
        path = base + parts
        _add_parents(placed, path, entry)
        if path in placed and entry.kind != "dir":
            raise UnsafePathError(
                entry._where(),
                f"{'/'.join(parts)} is also the folder of other entries",
                "rename one",
            )
        placed[path] = replace(entry, path="/".join(path))
    return tuple(placed[parts] for parts in sorted(placed))


def _entry_parts(entry: Entry) -> tuple[str, ...]:
    try:
        parts = split_path(entry.path)
    except UnsafePathError as exc:
        raise UnsafePathError(entry._where(), exc.reason, exc.fix) from None
    if not parts:
        raise UnsafePathError(entry._where(), "entry has an empty path", "name a file or folder")
    if entry.kind not in _KINDS:
        raise UnsafePathError(entry._where(), f"unknown entry kind {entry.kind!r}", _KINDS_FIX)
    if (entry.kind == "file") != (entry.source is not None):
        problem = "has no content" if entry.kind == "file" else "cannot have content"
        raise UnsafePathError(entry._where(), f"a {entry.kind} entry {problem}", _KINDS_FIX)
    return parts


def _add_parents(placed: dict[tuple[str, ...], Entry], parts: tuple[str, ...], of: Entry) -> None:
    for depth in range(1, len(parts)):
        parent = parts[:depth]
        existing = placed.get(parent)
        if existing is None:
            placed[parent] = Entry.directory("/".join(parent))
        elif existing.kind != "dir":
            raise UnsafePathError(
                of._where(), f"its parent {'/'.join(parent)} is a {existing.kind}", "rename one"
            )


def _check_symlinks(by_path: Mapping[tuple[str, ...], Entry]) -> None:
    links = {parts: entry.target for parts, entry in by_path.items() if entry.kind == "symlink"}
    for parts, target in links.items():
        reason = _escape_reason(parts, target, links)
        if reason:
            raise UnsafePathError(
                by_path[parts]._where(),
                f"symlink to {target!r} {reason}",
                "point it at a path inside the tree with a relative target, or remove it",
            )


def _escape_reason(link: tuple[str, ...], target: str, links: Mapping[tuple[str, ...], str]) -> str:
    """Why resolving `target` from `link`'s folder leaves the tree ("" if it stays inside).

    Resolves component by component, following the tree's own symlinks, as the kernel would
    inside a chroot at the tree root; a lexical check alone is fooled by `d -> .` + `d/../x`.
    """
    if not target or target.startswith("/"):
        return "is absolute" if target else "is empty"
    pending = target.split("/")
    resolved = list(link[:-1])
    hops = 0
    while pending:
        part = pending.pop(0)
        if part in ("", "."):
            continue
        if part == "..":
            if not resolved:
                return "points outside the tree"
            resolved.pop()
            continue
        resolved.append(part)
        next_target = links.get(tuple(resolved))
        if next_target is not None:
            hops += 1
            if hops > _MAX_SYMLINK_HOPS:
                return "is part of a symlink loop"
            if next_target.startswith("/"):
                return f"goes through {'/'.join(resolved)}, an absolute symlink"
            resolved.pop()
            pending = next_target.split("/") + pending
    return ""
