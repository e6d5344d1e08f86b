"""A content-addressed layer cache, so unchanged inputs are never tarred or compressed again.

Layout under the cache root (default `~/.cache/lambdabox/builder`):

    blobs/sha256/<hex>      compressed layer blobs, named by their digest
    keys/<key>.json         input key -> {"digest", "diff_id", "size", "mediaType"}

The input key is a sha256 over the layer's inputs (paths, kinds, modes, content digests,
symlink targets, mtime, gzip level, format version). Every file is written to a temp name in
its final folder and renamed, so concurrent builders and killed builds never leave a partial
blob or key behind; the worst case is an unreferenced temp file (`.tmp-*`).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO

from ..oci._atomic import TempFile, atomic_write
from ..oci.digest import Digest
from ..oci.errors import CacheError
from ..oci.reproducible import canonical_json
from .tarball import LayerBlob

__all__ = ["CACHE_ENV", "Cache"]

CACHE_ENV = "LAMBDABOX_CACHE"
_KEY = re.compile(r"[0-9a-f]{64}")


class Cache:
    """The cache at `root` (created on first write)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @classmethod
    def default(cls, environ: Mapping[str, str] | None = None) -> Cache:
        """`$LAMBDABOX_CACHE`, else `$XDG_CACHE_HOME/lambdabox/builder`, else ~/.cache/..."""
        env = os.environ if environ is None else environ
        if env.get(CACHE_ENV):
            return cls(Path(env[CACHE_ENV]))
        base = Path(env["XDG_CACHE_HOME"]) if env.get("XDG_CACHE_HOME") else Path.home() / ".cache"
        return cls(base / "lambdabox" / "builder")

    def blob_path(self, digest: Digest) -> Path:
        return self.root / "blobs" / digest.algorithm / digest.hex

    def record_path(self, key: str) -> Path:
        """Where the record of `key` is kept (`keys/<key>.json`)."""
        return self._key_path(key)

    def _key_path(self, key: str) -> Path:
        if not _KEY.fullmatch(key):
            raise CacheError(f"cache key {key!r} is not 64 lowercase hex digits")
        return self.root / "keys" / f"{key}.json"

    def lookup(self, key: str) -> LayerBlob | None:
        """The blob stored under `key`, if its record and blob (at the right size) exist."""
        try:
            raw = json.loads(self._key_path(key).read_bytes())
            blob = LayerBlob(
                Digest.parse(raw["digest"]),
                Digest.parse(raw["diff_id"]),
                int(raw["size"]),
                str(raw["mediaType"]),
            )
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError):
            return None  # a damaged record is a miss; `store` rewrites it
        try:
            if self.blob_path(blob.digest).stat().st_size == blob.size:
                return blob
        except FileNotFoundError:
            pass
        return None

    def store(self, key: str, write: Callable[[IO[bytes]], LayerBlob]) -> LayerBlob:
        """Run `write` into a new blob file, then record it under `key`."""
        blobs = self.blob_path(Digest.of(b"")).parent
        try:
            blobs.mkdir(parents=True, exist_ok=True)
            self._key_path(key).parent.mkdir(parents=True, exist_ok=True)
            temp = TempFile(blobs)
        except OSError as exc:
            raise self._unwritable(exc) from exc
        with temp:
            blob = write(temp.file)  # errors reading the sources pass through as they are
            try:
                temp.commit(self.blob_path(blob.digest))
            except OSError as exc:
                raise self._unwritable(exc) from exc
        record = {
            "digest": str(blob.digest),
            "diff_id": str(blob.diff_id),
            "size": blob.size,
            "mediaType": blob.media_type,
        }
        try:
            atomic_write(self._key_path(key), canonical_json(record))
        except OSError as exc:
            raise self._unwritable(exc) from exc
        return blob

    def _unwritable(self, exc: OSError) -> CacheError:
        return CacheError(
            f"cannot write to the layer cache {self.root}: {exc}. "
            f"Point {CACHE_ENV} at a writable folder"
        )
