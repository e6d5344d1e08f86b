"""Minimal, strict HTTP/1.1 message parsing for the Runtime API test server.

Private helper of :mod:`lambdabox.testing.runtime_api_server`.  It parses a
request head (request line + header fields), reads ``Content-Length`` and
``Transfer-Encoding: chunked`` bodies (including trailer fields) and builds
complete response messages as bytes.  Everything here is standard library only
and avoids per-request work that the hot path does not need (no ``email``
parser, no logging, one ``bytes`` object per response head).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Protocol

MAX_LINE = 65536
"""Longest accepted request line, header line or chunk-size line in bytes."""
MAX_FIELDS = 128
"""Most header (or trailer) fields accepted in one message."""
DRAIN_PIECE = 1 << 20
"""Read size used when discarding an oversized body."""

_HEX_DIGITS = frozenset(b"0123456789abcdefABCDEF")

REASONS: dict[int, str] = {
    100: "Continue",
    200: "OK",
    202: "Accepted",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    411: "Length Required",
    413: "Request Entity Too Large",
    414: "URI Too Long",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    501: "Not Implemented",
    505: "HTTP Version Not Supported",
}

CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


class Reader(Protocol):
    """The subset of a buffered binary reader that the parser uses."""

    def readline(self, size: int = -1, /) -> bytes: ...

    def read(self, size: int = -1, /) -> bytes: ...


class ProtocolError(Exception):
    """The peer sent something that is not valid HTTP/1.1.

    The connection cannot be trusted to be in sync any more: the server answers
    with ``status`` and closes it.
    """

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class PeerClosed(Exception):
    """The peer closed the connection in the middle of a message."""


@dataclass
class Body:
    """A request body as read from the connection."""

    data: bytes
    """The whole body; empty when it was too large (see ``too_large``)."""
    size: int
    """Number of body bytes the peer sent (also when they were discarded)."""
    too_large: bool
    """The body exceeded the limit and was read and discarded."""
    chunked: bool
    """The body used ``Transfer-Encoding: chunked``."""
    chunks: tuple[tuple[float, bytes], ...]
    """``(time.monotonic() at arrival, data)`` per chunk when ``chunked``."""
    trailers: dict[str, str]
    """Trailer fields (lower-case names) when ``chunked``."""


EMPTY_BODY = Body(b"", 0, False, False, (), {})


def read_fields(rfile: Reader) -> dict[str, str]:
    """Read header (or trailer) fields up to and including the empty line.

    Names are lower-cased; values are stripped of surrounding whitespace.  A
    repeated field is combined into one comma-separated value (RFC 9110 5.3).
    """
    fields: dict[str, str] = {}
    count = 0
    while True:
        line = rfile.readline(MAX_LINE + 1)
        if line in {b"\r\n", b"\n"}:
            return fields
        if not line:
            raise PeerClosed("connection closed inside the header section")
        if len(line) > MAX_LINE:
            raise ProtocolError(431, "header line too long")
        count += 1
        if count > MAX_FIELDS:
            raise ProtocolError(431, "too many header fields")
        if line[0] in b" \t":
            raise ProtocolError(400, "obsolete line folding in header section")
        name, sep, value = line.partition(b":")
        if not sep or not name or name != name.strip():
            raise ProtocolError(400, f"malformed header line {line!r}")
        key = name.decode("latin-1").lower()
        text = value.strip().decode("latin-1")
        previous = fields.get(key)
        fields[key] = text if previous is None else f"{previous}, {text}"


def read_exact(rfile: Reader, size: int) -> bytes:
    """Read exactly ``size`` bytes or raise :class:`PeerClosed`."""
    data = rfile.read(size)
    if len(data) != size:
        raise PeerClosed(f"connection closed after {len(data)} of {size} body bytes")
    return data


def drain(rfile: Reader, size: int) -> None:
    """Read and discard exactly ``size`` bytes without holding them all."""
    while size > 0:
        piece = read_exact(rfile, min(size, DRAIN_PIECE))
        size -= len(piece)


def read_sized(rfile: Reader, size: int, limit: int) -> Body:
    """Read a ``Content-Length`` body; discard it when it is over ``limit``."""
    if size > limit:
        drain(rfile, size)
        return Body(b"", size, True, False, (), {})
    if size == 0:
        return EMPTY_BODY
    return Body(read_exact(rfile, size), size, False, False, (), {})


def read_chunked(rfile: Reader, limit: int) -> Body:
    """Read a chunked body and its trailer section; see :class:`Body`.

    Each chunk is stamped with ``time.monotonic()`` as soon as its data has
    been read.  Data past ``limit`` bytes is read and discarded.
    """
    monotonic = time.monotonic
    chunks: list[tuple[float, bytes]] = []
    total = 0
    too_large = False
    while True:
        line = rfile.readline(MAX_LINE + 1)
        if not line:
            raise PeerClosed("connection closed inside a chunked body")
        if len(line) > MAX_LINE:
            raise ProtocolError(400, "chunk-size line too long")
        if not line.endswith(b"\n"):
            raise PeerClosed("connection closed inside a chunk-size line")
        digits = line.split(b";", 1)[0].strip()
        if not digits or not _HEX_DIGITS.issuperset(digits):
            raise ProtocolError(400, f"invalid chunk-size line {line!r}")
        size = int(digits, 16)
        if size == 0:
            break
        total += size
        if too_large or total > limit:
            too_large = True
            chunks.clear()
            drain(rfile, size)
        else:
            data = read_exact(rfile, size)
            chunks.append((monotonic(), data))
        if rfile.read(2) != b"\r\n":
            raise ProtocolError(400, "chunk data not followed by CRLF")
    trailers = read_fields(rfile)
    data = b"" if too_large else b"".join(chunk for _, chunk in chunks)
    return Body(data, total, too_large, True, tuple(chunks), trailers)


def response(
    status: int,
    body: bytes = b"",
    *,
    content_type: str | None = "application/json",
    close: bool = False,
    extra: bytes = b"",
) -> bytes:
    """Build a complete HTTP/1.1 response message.

    ``extra`` is preformatted header lines, each ending in CRLF.
    """
    head = [f"HTTP/1.1 {status} {REASONS.get(status, 'Unknown')}\r\n".encode("latin-1")]
    if content_type is not None:
        head.append(f"Content-Type: {content_type}\r\n".encode("latin-1"))
    head.append(b"Content-Length: %d\r\n" % len(body))
    if close:
        head.append(b"Connection: close\r\n")
    head.append(extra)
    head.append(b"\r\n")
    head.append(body)
    return b"".join(head)
