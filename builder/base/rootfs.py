"""Root filesystem layers from mmdebstrap tarballs: read, diff two trees, write a layer blob.

A Debian root filesystem needs what `Entry` (0644/0755, uid 0) cannot express: /tmp 1777,
/root 0700, setgid folders, group-owned files, hard links. So these layers keep each path's
type, full mode, numeric uid/gid and link target, and normalize everything else the way the
core does (`builder.layers.tarball`): sorted paths, PAX format, empty user/group names, one mtime
(SOURCE_DATE_EPOCH), no xattrs, gzip with mtime 0. The blob goes through the core's `Cache`
and comes back as a core `BlobLayer`.

Device nodes under /dev are dropped (the container runtime provides /dev); anywhere else they
are an error, as are FIFOs.
"""

from __future__ import annotations

import gzip
import hashlib
import tarfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from ..layers.cache import Cache
from ..layers.tarball import LayerBlob
from ..oci.config import History
from ..oci.digest import HashingWriter
from ..oci.errors import BuilderError
from ..oci.layer import BlobLayer
from ..oci.reproducible import GZIP_LEVEL, rfc3339
from ..oci.tar_stream import open_tar_stream

__all__ = ["RootfsEntry", "Tree", "diff_trees", "read_rootfs_tar", "rootfs_layer"]

_CHUNK = 1 << 20


@dataclass(frozen=True)
class RootfsEntry:
    """One path of a root filesystem: `kind` is file, dir or symlink (hard links resolved)."""

    path: str
    kind: str
    mode: int
    uid: int
    gid: int
    target: str = ""
    """A symlink's target."""
    sha256: str = ""
    size: int = 0
    member: tarfile.TarInfo | None = None
    """The tar member holding a file's content (for a hard link: the one it links to)."""
    inode: str = ""
    """Paths with the same `inode` are hard links of one file."""

    def same_as(self, other: RootfsEntry) -> bool:
        return (self.kind, self.mode, self.uid, self.gid, self.target, self.sha256) == (
            other.kind,
            other.mode,
            other.uid,
            other.gid,
            other.target,
            other.sha256,
        )


@dataclass
class Tree:
    """A root filesystem read from a tarball; keep it open while its layer is written."""

    tar_path: Path
    entries: dict[str, RootfsEntry]
    _tar: tarfile.TarFile

    def open_member(self, member: tarfile.TarInfo) -> IO[bytes]:
        handle = self._tar.extractfile(member)
        if handle is None:  # pragma: no cover - only files are opened
            raise BuilderError(f"{self.tar_path}: {member.name} has no content")
        return handle

    def close(self) -> None:
        self._tar.close()

    def __enter__(self) -> Tree:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _clean(name: str) -> str:
    path = name[2:] if name.startswith("./") else name.lstrip("/")
    return path.rstrip("/")


def read_rootfs_tar(path: Path) -> Tree:
    """Every path of the (uncompressed) tarball `path`, with content hashes."""
    tar = tarfile.open(path, "r:")  # noqa: SIM115 - closed by Tree.close()
    entries: dict[str, RootfsEntry] = {}
    try:
        links: list[tarfile.TarInfo] = []
        for member in tar:
            name = _clean(member.name)
            if not name or name == ".":
                continue
            mode, uid, gid = member.mode & 0o7777, member.uid, member.gid
            if member.isdir():
                entries[name] = RootfsEntry(name, "dir", mode, uid, gid)
            elif member.issym():
                entries[name] = RootfsEntry(name, "symlink", mode, uid, gid, member.linkname)
            elif member.islnk():
                links.append(member)
            elif member.isreg():
                entries[name] = RootfsEntry(
                    name,
                    "file",
                    mode,
                    uid,
                    gid,
                    sha256=_hash(tar, member),
                    size=member.size,
                    member=member,
                    inode=name,
                )
            elif name.startswith("dev/"):
                continue
            else:
                raise BuilderError(
                    f"{path}: {member.name} is a device or FIFO outside /dev; "
                    "remove it in a customize hook"
                )
        for member in links:
            name = _clean(member.name)
            origin = entries.get(_clean(member.linkname))
            if origin is None or origin.kind != "file":
                raise BuilderError(f"{path}: hard link {name} -> {member.linkname} is dangling")
            entries[name] = RootfsEntry(
                path=name,
                kind="file",
                mode=member.mode & 0o7777,
                uid=member.uid,
                gid=member.gid,
                sha256=origin.sha256,
                size=origin.size,
                member=origin.member,
                inode=origin.inode,
            )
    except BaseException:
        tar.close()
        raise
    return Tree(path, entries, tar)


def _hash(tar: tarfile.TarFile, member: tarfile.TarInfo) -> str:
    handle = tar.extractfile(member)
    assert handle is not None
    digest = hashlib.sha256()
    with handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def diff_trees(lower: Mapping[str, RootfsEntry], upper: Mapping[str, RootfsEntry]) -> list[str]:
    """Paths of `upper` that are new or changed relative to `lower`, plus their parents.

    A path of `lower` missing from `upper` is an error: a layer on top cannot remove it
    without whiteouts, and the second mmdebstrap run is not expected to remove anything.
    """
    removed = sorted(set(lower) - set(upper))
    if removed:
        shown = ", ".join("/" + p for p in removed[:10])
        more = f" and {len(removed) - 10} more" if len(removed) > 10 else ""
        raise BuilderError(
            f"the runtime packages removed paths of the OS layer: {shown}{more}; "
            "add the packages that own them to the OS layer, or stop removing them"
        )
    changed = {p for p, e in upper.items() if p not in lower or not e.same_as(lower[p])}
    with_parents = set(changed)
    for path in changed:
        parts = path.split("/")
        for depth in range(1, len(parts)):
            with_parents.add("/".join(parts[:depth]))
    return sorted(with_parents, key=lambda p: p.split("/"))


def layer_key(entries: Iterable[RootfsEntry], mtime: int, compresslevel: int) -> str:
    """sha256 over everything that shapes the layer blob."""
    digest = hashlib.sha256(f"rootfs-layer/1 {mtime} {compresslevel}\n".encode())
    for e in entries:
        line = f"{e.path}\0{e.kind}\0{e.mode:o}\0{e.uid}\0{e.gid}\0{e.target}\0{e.sha256}\0"
        digest.update(line.encode("utf-8", "surrogateescape") + f"{e.inode}\n".encode())
    return digest.hexdigest()


def rootfs_layer(
    tree: Tree,
    paths: Iterable[str] | None = None,
    *,
    cache: Cache,
    mtime: int,
    created_by: str,
    comment: str = "",
    compresslevel: int = GZIP_LEVEL,
) -> BlobLayer:
    """A layer of `paths` (default: all) of `tree`, built into (or found in) `cache`."""
    chosen = sorted(tree.entries if paths is None else paths, key=lambda p: p.split("/"))
    entries = [tree.entries[p] for p in chosen]
    key = layer_key(entries, mtime, compresslevel)
    blob = cache.lookup(key)
    if blob is None:
        blob = cache.store(key, lambda out: _write_blob(tree, entries, out, mtime, compresslevel))
    return BlobLayer(
        cache.blob_path(blob.digest),
        blob.media_type,
        History(created_by, comment, rfc3339(mtime)),
        known_digest=blob.digest,
        known_size=blob.size,
        known_diff_id=blob.diff_id,
    )


def _write_blob(
    tree: Tree, entries: list[RootfsEntry], out: IO[bytes], mtime: int, compresslevel: int
) -> LayerBlob:
    blob = HashingWriter(out)
    with gzip.GzipFile(
        filename="", mode="wb", fileobj=blob, compresslevel=compresslevel, mtime=0
    ) as gz:
        tar_sink = HashingWriter(gz)
        first_of_inode: dict[str, str] = {}
        with open_tar_stream(tar_sink) as tar:
            for entry in entries:
                info = tarfile.TarInfo(entry.path + ("/" if entry.kind == "dir" else ""))
                info.mode = entry.mode
                info.uid, info.gid = entry.uid, entry.gid
                info.uname = info.gname = ""
                info.mtime = mtime
                if entry.kind == "dir":
                    info.type = tarfile.DIRTYPE
                    tar.addfile(info)
                elif entry.kind == "symlink":
                    info.type = tarfile.SYMTYPE
                    info.linkname = entry.target
                    tar.addfile(info)
                elif entry.inode in first_of_inode:
                    info.type = tarfile.LNKTYPE
                    info.linkname = first_of_inode[entry.inode]
                    tar.addfile(info)
                else:
                    first_of_inode[entry.inode] = entry.path
                    assert entry.member is not None
                    info.size = entry.size
                    with tree.open_member(entry.member) as content:
                        tar.addfile(info, content)
    return LayerBlob(blob.digest, tar_sink.digest, blob.size)
