"""The code layer's tar and gzip bytes, written without `tarfile` or `gzip`.

The same bytes as `builder.layers.tarball.write_layer_blob` (tests compare them): PAX tar
entries as `tarfile` writes them (a `././@PaxHeader` record before entries whose name or
link target is longer than the ustar field or not ASCII), uid/gid 0, empty user and group
names, one mtime, the two end blocks and the padding to 10240 bytes; then gzip with mtime
0, no name, OS 255 and zlib at the same level. Entries are `(path, kind, mode, target,
file, size)` tuples: plain values, no imports.
"""

from __future__ import annotations

import os
import zlib

from .digests import sha256

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable

    Entry = tuple[str, str, int, str, str, int]
    """(tar path, kind "file"/"dir"/"symlink", mode, link target, file on disk, size)."""

__all__ = ["Changed", "write_blob"]

_BLOCK = 512
_RECORD = 20 * _BLOCK
_TYPES = {"file": b"0", "dir": b"5", "symlink": b"2"}
_MAX_OCTAL_11 = 8**11
_CHUNK = 1 << 20


class Changed(Exception):
    """A file changed size while it was read: the full path reports it."""


def _octal(value: int, digits: int) -> bytes:
    return b"%0*o\0" % (digits - 1, value)


def _field(text: str, length: int) -> bytes:
    data = text.encode("ascii", "replace")[:length]
    return data + b"\0" * (length - len(data))


def _header(name: str, kind: bytes, mode: int, size: int, mtime: int, link: str) -> bytes:
    block = b"".join(
        (
            _field(name, 100),
            _octal(mode, 8),
            b"0000000\0",
            b"0000000\0",
            _octal(size, 12),
            _octal(mtime, 12),
            b"        ",
            kind,
            _field(link, 100),
            b"ustar\x0000",
            b"\0" * 32,
            b"\0" * 32,
            b"\0" * 16,
            b"\0" * 155,
        )
    )
    block += b"\0" * (_BLOCK - len(block))
    checksum = sum(block) & 0xFFFFFFFF
    return block[:148] + b"%06o\0" % checksum + block[155:]


def _pax(records: list[tuple[str, str]]) -> bytes:
    payload = b""
    for keyword, value in records:
        body = keyword.encode() + b"=" + value.encode("utf-8") + b"\n"
        length = len(body) + 1
        total = 0
        while True:
            candidate = length + len(str(total))
            if candidate == total:
                break
            total = candidate
        payload += str(total).encode() + b" " + body
    header = _header("././@PaxHeader", b"x", 0, len(payload), 0, "")
    return header + payload + b"\0" * (-len(payload) % _BLOCK)


def entry_header(path: str, kind: str, mode: int, size: int, mtime: int, link: str) -> bytes:
    """The tar header block(s) of one entry, as `tarfile` writes them in PAX format."""
    name = path + "/" if kind == "dir" and not path.endswith("/") else path
    records = []
    if not name.isascii() or len(name) > 100:
        records.append(("path", name))
    if not link.isascii() or len(link) > 100:
        records.append(("linkpath", link))
    if size >= _MAX_OCTAL_11:
        records.append(("size", str(size)))
        size = 0
    if mtime >= _MAX_OCTAL_11:
        records.append(("mtime", str(mtime)))
        mtime = 0
    head = _pax(records) if records else b""
    return head + _header(name, _TYPES[kind], mode, size, mtime, link)


class _Gzip:
    """gzip of a tar stream into a file descriptor, hashing the tar and the blob."""

    def __init__(self, fd: int, level: int) -> None:
        self.fd = fd
        self.tar_hash, self.blob_hash = sha256(), sha256()
        self.packer = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS, zlib.DEF_MEM_LEVEL, 0)
        self.crc = 0
        self.length = 0
        self.written = 0
        xfl = b"\x02" if level == 9 else b"\x04" if level == 1 else b"\x00"
        self.out = [b"\x1f\x8b\x08\x00\x00\x00\x00\x00" + xfl + b"\xff"]

    def put(self, data: bytes) -> None:
        self.tar_hash.update(data)
        self.crc = zlib.crc32(data, self.crc)
        self.length += len(data)
        packed = self.packer.compress(data)
        if packed:
            self.out.append(packed)
            if len(self.out) > 16:
                self.flush()

    def flush(self) -> None:
        data = b"".join(self.out)
        self.out.clear()
        self.blob_hash.update(data)
        view = memoryview(data)
        while view:
            view = view[os.write(self.fd, view) :]
        self.written += len(data)

    def close(self) -> tuple[str, str, int]:
        self.out.append(self.packer.flush())
        self.out.append((self.crc & 0xFFFFFFFF).to_bytes(4, "little"))
        self.out.append((self.length & 0xFFFFFFFF).to_bytes(4, "little"))
        self.flush()
        return self.blob_hash.hexdigest(), self.tar_hash.hexdigest(), self.written


def _copy(gz: _Gzip, file: str, size: int) -> None:
    with open(file, "rb", buffering=0) as content:
        left = size
        while left:
            chunk = content.read(min(left, _CHUNK))
            if not chunk:
                raise Changed(file)
            gz.put(chunk)
            left -= len(chunk)
        if content.read(1):
            raise Changed(file)
    if size % _BLOCK:
        gz.put(b"\0" * (_BLOCK - size % _BLOCK))


def write_blob(entries: Iterable[Entry], fd: int, mtime: int, level: int) -> tuple[str, str, int]:
    """Write the gzip blob of `entries` (sorted, parents first) to the file descriptor `fd`;
    return (digest hex, diff_id hex, size). Raises Changed if a file is not the size seen."""
    gz = _Gzip(fd, level)
    for path, kind, mode, link, file, size in entries:
        gz.put(entry_header(path, kind, mode, size, mtime, link))
        if kind == "file" and file:
            _copy(gz, file, size)
        elif size:
            raise Changed(path)
    gz.put(b"\0" * (2 * _BLOCK))
    if gz.length % _RECORD:
        gz.put(b"\0" * (_RECORD - gz.length % _RECORD))
    return gz.close()
