"""Deterministic layer tars, and their gzip blobs hashed in the same pass.

`write_tar()` gives the same bytes for the same entries wherever it runs (with the same Python
`tarfile`): entries sorted by path, parent folders explicit, PAX format, uid/gid 0, empty
user/group names, one mtime for everything, modes 0644/0755 (symlinks 0777). `write_layer_blob()`
streams that tar through gzip into a file and returns the layer's digest, diff_id and size;
nothing is held in memory but a chunk.
"""

from __future__ import annotations

import gzip
import tarfile
from collections.abc import Iterable
from dataclasses import dataclass

from ..oci import media_types
from ..oci.digest import Digest, HashingReader, HashingWriter, Writable
from ..oci.errors import BuilderError
from ..oci.reproducible import DEFAULT_EPOCH, GZIP_LEVEL
from ..oci.tar_stream import open_tar_stream
from .entries import Entry, normalize

__all__ = ["LayerBlob", "write_layer_blob", "write_tar"]

_TYPES = {"file": tarfile.REGTYPE, "dir": tarfile.DIRTYPE, "symlink": tarfile.SYMTYPE}


@dataclass(frozen=True)
class LayerBlob:
    """What a written layer blob is: its digest (compressed), diff_id (tar) and size."""

    digest: Digest
    diff_id: Digest
    size: int
    media_type: str = media_types.OCI_LAYER_GZIP


def write_tar(
    entries: Iterable[Entry], out: Writable, *, prefix: str = "/", mtime: int = DEFAULT_EPOCH
) -> None:
    """Write `entries`, placed under `prefix` (see `normalize()`), as a tar stream to `out`."""
    with open_tar_stream(out) as tar:
        for entry in normalize(entries, prefix):
            info = tarfile.TarInfo(entry.path)
            info.type = _TYPES[entry.kind]
            info.mode = entry.mode
            info.mtime = mtime
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            if entry.kind == "symlink":
                info.linkname = entry.target
            if entry.source is None:
                tar.addfile(info)
                continue
            info.size = entry.source.size
            with HashingReader(entry.source.open()) as content:
                try:
                    tar.addfile(info, content)
                except OSError as exc:
                    if content.eof:  # shorter than its size
                        raise _changed(entry) from exc
                    raise
                if content.read(1) or content.digest != entry.source.digest():
                    raise _changed(entry)


def _changed(entry: Entry) -> BuilderError:
    return BuilderError(
        f"{entry.origin or entry.path} changed while the layer was being written; "
        "build again once nothing is writing to the source tree"
    )


def write_layer_blob(
    entries: Iterable[Entry],
    out: Writable,
    *,
    prefix: str = "/",
    mtime: int = DEFAULT_EPOCH,
    compresslevel: int = GZIP_LEVEL,
) -> LayerBlob:
    """Write the gzip-compressed tar of `entries` to `out` in one pass; return its identity.

    The gzip header has mtime 0 and no file name, so the blob depends only on the tar bytes,
    `compresslevel` and the zlib version.
    """
    blob = HashingWriter(out)
    with gzip.GzipFile(
        filename="", mode="wb", fileobj=blob, compresslevel=compresslevel, mtime=0
    ) as gz:
        tar = HashingWriter(gz)
        write_tar(entries, tar, prefix=prefix, mtime=mtime)
    return LayerBlob(blob.digest, tar.digest, blob.size)
