"""Layers: the `Layer` protocol and its two implementations, a blob file and bytes in memory.

A layer is known by its compressed blob. `digest` and `size` describe that blob, `diff_id` the
uncompressed tar. Values not given up front are computed on first use, once.
"""

from __future__ import annotations

import gzip
import io
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import IO, Protocol, cast

from . import media_types
from .config import History
from .digest import Digest, hash_file, hash_stream, verifying_reader
from .errors import LayoutError

__all__ = ["BlobLayer", "BytesLayer", "Layer"]


class Layer(Protocol):
    """What the builder needs of a layer; everything else is derived from these."""

    @property
    def digest(self) -> Digest:
        """sha256 of the blob as stored (compressed)."""
        ...

    @property
    def diff_id(self) -> Digest:
        """sha256 of the uncompressed tar."""
        ...

    @property
    def size(self) -> int:
        """Size in bytes of the blob as stored."""
        ...

    @property
    def media_type(self) -> str: ...

    @property
    def history(self) -> History:
        """The history entry that describes this layer in the image config."""
        ...

    def open_compressed(self) -> IO[bytes]: ...

    def open_uncompressed(self) -> IO[bytes]: ...


class _GzipReader(gzip.GzipFile):
    """A gzip reader that also closes the stream it reads from."""

    def __init__(self, raw: IO[bytes]) -> None:
        super().__init__(fileobj=raw, mode="rb")
        self._raw = raw

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._raw.close()


def uncompressed(media_type: str, compressed: IO[bytes], what: str) -> IO[bytes]:
    """The tar stream inside a blob of `media_type`."""
    if media_type in media_types.UNCOMPRESSED_LAYERS:
        return compressed
    if media_type in media_types.GZIP_LAYERS:
        return cast(IO[bytes], _GzipReader(compressed))
    compressed.close()
    raise LayoutError(f"{what}: cannot decompress a {media_type} layer; only gzip is supported")


@dataclass(frozen=True)
class BlobLayer:
    """A layer blob in a file. `known_*` come from a descriptor or the cache, else are computed.

    When `known_digest` is given, reads through `open_compressed()` verify it at end of data.
    """

    path: Path
    media_type: str = media_types.OCI_LAYER_GZIP
    history: History = field(default_factory=History)
    known_digest: Digest | None = None
    known_size: int | None = None
    known_diff_id: Digest | None = None

    @cached_property
    def digest(self) -> Digest:
        return self.known_digest or self._hashed[0]

    @cached_property
    def size(self) -> int:
        return self.known_size if self.known_size is not None else self._hashed[1]

    @cached_property
    def diff_id(self) -> Digest:
        if self.known_diff_id is not None:
            return self.known_diff_id
        with self.open_uncompressed() as tar:
            return hash_stream(tar)[0]

    @cached_property
    def _hashed(self) -> tuple[Digest, int]:
        try:
            return hash_file(self.path)
        except OSError as exc:
            raise LayoutError(f"layer blob {self.path} cannot be read: {exc}") from exc

    def open_compressed(self) -> IO[bytes]:
        try:
            file = self.path.open("rb")
        except OSError as exc:
            raise LayoutError(f"layer blob {self.path} cannot be read: {exc}") from exc
        if self.known_digest is None or self.known_size is None:
            return file
        label = f"layer blob {self.path}"
        return verifying_reader(file, self.known_digest, self.known_size, label)

    def open_uncompressed(self) -> IO[bytes]:
        return uncompressed(self.media_type, self.open_compressed(), str(self.path))


@dataclass(frozen=True)
class BytesLayer:
    """A layer blob held in memory: for small layers and tests."""

    data: bytes
    media_type: str = media_types.OCI_LAYER_GZIP
    history: History = field(default_factory=History)

    @cached_property
    def digest(self) -> Digest:
        return Digest.of(self.data)

    @property
    def size(self) -> int:
        return len(self.data)

    @cached_property
    def diff_id(self) -> Digest:
        with self.open_uncompressed() as tar:
            return hash_stream(tar)[0]

    def open_compressed(self) -> IO[bytes]:
        return io.BytesIO(self.data)

    def open_uncompressed(self) -> IO[bytes]:
        return uncompressed(self.media_type, self.open_compressed(), "in-memory layer")
