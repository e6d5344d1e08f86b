"""Content digests (`sha256:<hex>`) and streams that hash what passes through them."""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from .errors import DigestError, LayoutError

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer, WriteableBuffer

__all__ = [
    "Digest",
    "HashingReader",
    "HashingWriter",
    "Readable",
    "Writable",
    "copy_hashed",
    "hash_file",
    "hash_stream",
    "verifying_reader",
]

_HEX_LENGTHS = {"sha256": 64, "sha512": 128}
_HEX = re.compile(r"[0-9a-f]+")
CHUNK = 1 << 20


class Writable(Protocol):
    """Anything with `write(bytes)`: a file, a socket file, a BytesIO, a GzipFile."""

    def write(self, data: bytes, /) -> object: ...


class Readable(Protocol):
    """Anything with `read(size)`."""

    def read(self, size: int = -1, /) -> bytes: ...


@dataclass(frozen=True, order=True)
class Digest:
    """A content digest: algorithm ("sha256" or "sha512") and lowercase hex."""

    algorithm: str
    hex: str

    def __post_init__(self) -> None:
        length = _HEX_LENGTHS.get(self.algorithm)
        if length is None:
            raise DigestError(
                f"unsupported digest algorithm {self.algorithm!r} in {self}; use sha256"
            )
        if len(self.hex) != length or not _HEX.fullmatch(self.hex):
            raise DigestError(f"{self} is not {self.algorithm}:<{length} lowercase hex digits>")

    @classmethod
    def parse(cls, text: str) -> Digest:
        """Parse `sha256:<hex>`; raises DigestError quoting the bad input."""
        algorithm, sep, hexdigest = str(text).partition(":")
        if not sep:
            raise DigestError(f"{text!r} is not a digest: expected 'sha256:<64 hex digits>'")
        return cls(algorithm, hexdigest)

    @classmethod
    def of(cls, data: bytes) -> Digest:
        """The sha256 digest of `data`."""
        return cls("sha256", hashlib.sha256(data).hexdigest())

    def __str__(self) -> str:
        return f"{self.algorithm}:{self.hex}"

    @property
    def short(self) -> str:
        """The first 12 hex digits, for messages."""
        return self.hex[:12]


class HashingWriter(io.RawIOBase):
    """Writes through to `sink`, hashing (sha256) and counting the bytes."""

    def __init__(self, sink: Writable) -> None:
        super().__init__()
        self._sink = sink
        self._hash = hashlib.sha256()
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data: ReadableBuffer, /) -> int:
        view = memoryview(data)
        self._hash.update(view)
        self._sink.write(view.tobytes())
        self.size += view.nbytes
        return view.nbytes

    @property
    def digest(self) -> Digest:
        return Digest("sha256", self._hash.hexdigest())


class HashingReader(io.RawIOBase):
    """Reads from `source`, hashing (sha256) and counting the bytes; `close()` closes it."""

    def __init__(self, source: Readable) -> None:
        super().__init__()
        self._source = source
        self._hash = hashlib.sha256()
        self.size = 0
        self.eof = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer, /) -> int:
        view = memoryview(buffer).cast("B")
        data = self._source.read(len(view))
        view[: len(data)] = data
        self._hash.update(data)
        self.size += len(data)
        if not data:
            self.eof = True
            self._at_eof()
        return len(data)

    def _at_eof(self) -> None:
        """Called each time the source reports end of data."""

    def close(self) -> None:
        if not self.closed:
            close = getattr(self._source, "close", None)
            if close is not None:
                close()
        super().close()

    @property
    def digest(self) -> Digest:
        return Digest("sha256", self._hash.hexdigest())


class _VerifyingReader(HashingReader):
    def __init__(self, source: Readable, digest: Digest, size: int, label: str) -> None:
        super().__init__(source)
        self._expected = (digest, size)
        self._label = label

    def _at_eof(self) -> None:
        digest, size = self._expected
        if self.size != size or (digest.algorithm == "sha256" and self.digest != digest):
            raise LayoutError(
                f"{self._label}: expected {digest} ({size} bytes) but read {self.digest} "
                f"({self.size} bytes); the blob is corrupt: delete it and write the image again"
            )


def verifying_reader(source: Readable, digest: Digest, size: int, label: str) -> io.BufferedReader:
    """A buffered reader over `source` that raises LayoutError at end of data on a mismatch."""
    return io.BufferedReader(_VerifyingReader(source, digest, size, label), CHUNK)


def copy_hashed(source: Readable, sink: Writable) -> tuple[Digest, int]:
    """Copy `source` to `sink` in 1 MiB chunks; return the sha256 digest and size."""
    hasher = hashlib.sha256()
    size = 0
    while chunk := source.read(CHUNK):
        hasher.update(chunk)
        sink.write(chunk)
        size += len(chunk)
    return Digest("sha256", hasher.hexdigest()), size


class _NullSink:
    def write(self, data: bytes, /) -> int:
        return len(data)


def hash_stream(source: Readable) -> tuple[Digest, int]:
    """The sha256 digest and size of everything `source` has left."""
    return copy_hashed(source, _NullSink())


def hash_file(path: Path) -> tuple[Digest, int]:
    """The sha256 digest and size of the file at `path`."""
    with path.open("rb") as file:
        return hash_stream(file)
