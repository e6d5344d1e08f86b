"""Layers from entries, folders and zips: tar + gzip once, then served from the cache.

The cache key covers everything that shapes the blob (see `layer_key()`), so a rebuild with
unchanged inputs only hashes the input files and returns the cached blob.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from pathlib import Path

from ..oci.config import History
from ..oci.layer import BlobLayer
from ..oci.reproducible import DEFAULT_EPOCH, GZIP_LEVEL, canonical_json, rfc3339
from .cache import Cache
from .entries import Entry, normalize
from .tarball import write_layer_blob
from .tree import IgnoreRules, entries_from_tree
from .zip_package import ZipPackage

__all__ = ["FORMAT_VERSION", "layer_from_entries", "layer_from_tree", "layer_from_zip", "layer_key"]

FORMAT_VERSION = 1
"""Part of every cache key; bump it when the same inputs would now give different tar bytes."""


def layer_key(entries: Sequence[Entry], *, mtime: int, compresslevel: int) -> str:
    """sha256 (hex) of the normalized `entries` and the settings that shape the blob."""
    listing = [
        [e.path, e.kind, e.mode, e.target, str(e.source.digest()) if e.source else ""]
        for e in entries
    ]
    inputs = {
        "format": FORMAT_VERSION,
        "mtime": mtime,
        "gzip": compresslevel,
        "entries": listing,
    }
    return hashlib.sha256(canonical_json(inputs)).hexdigest()


def layer_from_entries(
    entries: Iterable[Entry],
    *,
    prefix: str = "/",
    cache: Cache | None = None,
    mtime: int = DEFAULT_EPOCH,
    compresslevel: int = GZIP_LEVEL,
    created_by: str = "",
    comment: str = "",
) -> BlobLayer:
    """A gzip layer of `entries` placed under `prefix`, built into (or found in) `cache`.

    `cache` defaults to `Cache.default()` (reads LAMBDABOX_CACHE). `created_by` and `comment`
    become the layer's history entry.
    """
    cache = cache if cache is not None else Cache.default()
    placed = normalize(entries, prefix)
    key = layer_key(placed, mtime=mtime, compresslevel=compresslevel)
    blob = cache.lookup(key)
    if blob is None:
        blob = cache.store(
            key, lambda out: write_layer_blob(placed, out, mtime=mtime, compresslevel=compresslevel)
        )
    return BlobLayer(
        cache.blob_path(blob.digest),
        blob.media_type,
        History(created_by or f"lambdabox: layer at {prefix}", comment, rfc3339(mtime)),
        known_digest=blob.digest,
        known_size=blob.size,
        known_diff_id=blob.diff_id,
    )


def layer_from_tree(
    root: Path,
    *,
    prefix: str = "/",
    ignore: IgnoreRules | None = None,
    cache: Cache | None = None,
    mtime: int = DEFAULT_EPOCH,
    compresslevel: int = GZIP_LEVEL,
    created_by: str = "",
    comment: str = "",
) -> BlobLayer:
    """A layer of the folder `root` placed at `prefix` (e.g. `src/` at `/var/task`).

    `ignore` defaults to the built-in patterns plus `root/.lambdaboxignore`.
    """
    return layer_from_entries(
        entries_from_tree(Path(root), ignore),
        prefix=prefix,
        cache=cache,
        mtime=mtime,
        compresslevel=compresslevel,
        created_by=created_by,
        comment=comment,
    )


def layer_from_zip(
    package: Path,
    *,
    prefix: str = "/var/task",
    cache: Cache | None = None,
    mtime: int = DEFAULT_EPOCH,
    compresslevel: int = GZIP_LEVEL,
    created_by: str = "",
    comment: str = "",
) -> BlobLayer:
    """A layer of a Lambda `.zip` deployment package, unpacked at `prefix`."""
    with ZipPackage(Path(package)) as zipped:
        return layer_from_entries(
            zipped.entries,
            prefix=prefix,
            cache=cache,
            mtime=mtime,
            compresslevel=compresslevel,
            created_by=created_by,
            comment=comment,
        )
