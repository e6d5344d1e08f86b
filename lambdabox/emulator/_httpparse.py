"""Strict, allocation-light HTTP/1.1 parsing for :mod:`lambdabox.emulator.httpserver`.

Private helper.  Everything works on ``bytes`` with ``find``/``partition``/
``translate`` (no regular expressions): the request line, header and trailer
sections, and an incremental decoder for ``Transfer-Encoding: chunked`` bodies.
Errors are reported as :class:`ParseError` carrying the status to answer with;
the connection is closed after such an answer.
"""

from __future__ import annotations

from http import HTTPStatus

MAX_HEAD = 65536
"""Longest accepted request line + header section (including the empty line)."""
MAX_CHUNK_LINE = 4096
"""Longest accepted chunk-size line (size and extensions) in bytes."""
MAX_TRAILERS = 65536
"""Longest accepted trailer section in bytes."""
PARTIAL_FLUSH = 65536
"""A chunk this large is handed on in pieces before it is complete."""
MAX_CONTENT_LENGTH_DIGITS = 18

TCHAR = b"!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
"""RFC 9110 token characters (header names, methods)."""
_HEXDIG = b"0123456789abcdefABCDEF"
_LINE_OK = bytes(b for b in range(256) if b >= 0x20 and b != 0x7F)
"""Bytes allowed in a request line: SP, visible ASCII and obs-text."""
_FIELDS_OK = bytes(b for b in range(256) if (b >= 0x20 and b != 0x7F) or b in b"\t\r\n")
"""Bytes allowed in a field section (CR and LF are checked to form CRLF pairs)."""
_EXT_OK = bytes(b for b in range(256) if (b >= 0x20 and b != 0x7F) or b == 0x09)
"""Bytes allowed in a chunk-size line with extensions."""

_METHODS: dict[bytes, str] = {
    m.encode("ascii"): m
    for m in ("GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "TRACE", "CONNECT")
}
_NAMES: dict[bytes, str] = {}
"""Validated raw field name -> lower-case ``str`` (bounded cache)."""
_NAMES_MAX = 1024

REASONS: dict[int, str] = {int(s): s.phrase for s in HTTPStatus}


class ParseError(Exception):
    """The peer sent something that is not valid HTTP/1.1; answer ``status`` and close."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def parse_request_line(line: bytes) -> tuple[str, str, bool]:
    """Return ``(method, target, is_http11)`` from a request line without its CRLF."""
    if line.count(b" ") != 2 or line.translate(None, _LINE_OK):
        raise ParseError(400, "malformed request line")
    method_b, target_b, version = line.split(b" ")
    method = _METHODS.get(method_b)
    if method is None:
        if not method_b or method_b.translate(None, TCHAR):
            raise ParseError(400, "malformed request method")
        method = method_b.decode("ascii")
    if not target_b:
        raise ParseError(400, "empty request target")
    if version == b"HTTP/1.1":
        http11 = True
    elif version == b"HTTP/1.0":
        http11 = False
    elif (
        len(version) == 8
        and version.startswith(b"HTTP/")
        and version[5:6].isdigit()
        and version[6:7] == b"."
        and version[7:8].isdigit()
    ):
        raise ParseError(505, "HTTP version not supported")
    else:
        raise ParseError(400, "malformed HTTP version")
    return method, target_b.decode("latin-1"), http11


def parse_fields(block: bytes) -> dict[str, str]:
    """Parse a header or trailer section (field lines joined by CRLF, no final CRLF).

    Names are lower-cased; values have surrounding SP/HTAB removed; repeated
    fields are joined with ``", "``.  Obsolete line folding, whitespace before
    the colon, bare CR or LF and control characters are rejected.
    """
    fields: dict[str, str] = {}
    if not block:
        return fields
    lines = block.split(b"\r\n")
    separators = len(lines) - 1
    if (
        block.count(b"\r") != separators
        or block.count(b"\n") != separators
        or block.translate(None, _FIELDS_OK)
    ):
        raise ParseError(400, "invalid character in header section")
    names = _NAMES
    for line in lines:
        name, colon, value = line.partition(b":")
        if not colon:
            raise ParseError(400, "malformed header field")
        key = names.get(name)
        if key is None:
            if not name or name.translate(None, TCHAR):
                raise ParseError(400, "malformed header field name")
            key = name.decode("ascii").lower()
            if len(names) < _NAMES_MAX:
                names[name] = key
        text = value.strip(b" \t").decode("latin-1")
        previous = fields.get(key)
        fields[key] = text if previous is None else f"{previous}, {text}"
    return fields


def parse_content_length(value: str) -> int:
    """Validate a Content-Length field value (identical repeats are allowed)."""
    if not (value.isdigit() and value.isascii()):
        parts = {part.strip(" \t") for part in value.split(",")}
        if len(parts) != 1:
            raise ParseError(400, "invalid Content-Length")
        value = parts.pop()
        if not (value.isdigit() and value.isascii()):
            raise ParseError(400, "invalid Content-Length")
    if len(value) > MAX_CONTENT_LENGTH_DIGITS:
        raise ParseError(400, "Content-Length too large")
    return int(value)


def has_token(value: str, token: str) -> bool:
    """Whether a comma-separated list field (e.g. Connection) holds ``token``."""
    return any(part.strip(" \t") == token for part in value.lower().split(","))


_SIZE, _DATA, _DATA_CRLF, _TRAILERS, _DONE = range(5)


class ChunkedDecoder:
    """Incremental decoder of a chunked body and its trailer section.

    :meth:`feed` consumes bytes from a buffer and appends decoded data to
    :attr:`out`: each chunk once it is complete (a chunk larger than
    :data:`PARTIAL_FLUSH` is handed on in pieces of at least that size).
    """

    __slots__ = ("_partial", "_partial_size", "_remaining", "_state", "out", "trailers")

    def __init__(self) -> None:
        self._state = _SIZE
        self._remaining = 0
        self._partial: list[bytes] = []
        self._partial_size = 0
        self.out: list[bytes] = []
        """Decoded data not yet taken by the caller."""
        self.trailers: dict[str, str] = {}
        """Trailer fields, once :attr:`done`."""

    @property
    def done(self) -> bool:
        """The terminating chunk and the trailer section have been read."""
        return self._state == _DONE

    def feed(self, buf: bytes, pos: int) -> int:
        """Decode from ``buf[pos:]``; return the index of the first byte not consumed.

        Bytes from that index (an incomplete size line, CRLF or trailer
        section, or whatever follows the body once :attr:`done`) must be
        passed again, with more data appended, in the next call.
        """
        end = len(buf)
        while pos < end:
            state = self._state
            if state == _DATA:
                pos = self._data(buf, pos, end)
                continue
            if state == _SIZE:
                nxt = self._size_line(buf, pos, end)
            elif state == _DATA_CRLF:
                if end - pos < 2:
                    if buf[pos] != 0x0D:
                        raise ParseError(400, "chunk data not followed by CRLF")
                    return pos
                if buf[pos] != 0x0D or buf[pos + 1] != 0x0A:
                    raise ParseError(400, "chunk data not followed by CRLF")
                self._state = _SIZE
                nxt = pos + 2
            elif state == _TRAILERS:
                return self._trailer_section(buf, pos, end)
            else:
                return pos
            if nxt < 0:
                return pos
            pos = nxt
        return pos

    def _data(self, buf: bytes, pos: int, end: int) -> int:
        n = min(self._remaining, end - pos)
        piece = buf[pos : pos + n]
        self._remaining -= n
        if self._remaining == 0:
            if self._partial:
                self._partial.append(piece)
                piece = b"".join(self._partial)
                self._partial = []
                self._partial_size = 0
            self.out.append(piece)
            self._state = _DATA_CRLF
        else:
            self._partial.append(piece)
            self._partial_size += n
            if self._partial_size >= PARTIAL_FLUSH:
                self.out.append(b"".join(self._partial))
                self._partial = []
                self._partial_size = 0
        return pos + n

    def _size_line(self, buf: bytes, pos: int, end: int) -> int:
        """Parse a chunk-size line; return the position after it, or -1 if incomplete."""
        nl = buf.find(b"\r\n", pos, pos + MAX_CHUNK_LINE + 2)
        if nl < 0:
            if end - pos > MAX_CHUNK_LINE:
                raise ParseError(400, "chunk-size line too long")
            if buf.find(b"\n", pos) >= 0:
                raise ParseError(400, "malformed chunk-size line")
            return -1
        line = buf[pos:nl]
        digits, semicolon, _ = line.partition(b";")
        if semicolon:
            digits = digits.rstrip(b" \t")
            if line.translate(None, _EXT_OK):
                raise ParseError(400, "malformed chunk extension")
        if not digits or len(digits) > 16 or digits.translate(None, _HEXDIG):
            raise ParseError(400, "malformed chunk size")
        size = int(digits, 16)
        if size:
            self._remaining = size
            self._state = _DATA
        else:
            self._state = _TRAILERS
        return nl + 2

    def _trailer_section(self, buf: bytes, pos: int, end: int) -> int:
        if buf.startswith(b"\r\n", pos):
            self._state = _DONE
            return pos + 2
        idx = buf.find(b"\r\n\r\n", pos)
        if idx < 0:
            if end - pos > MAX_TRAILERS:
                raise ParseError(400, "trailer section too large")
            if buf.find(b"\n\n", pos) >= 0 or buf.startswith(b"\n", pos):
                raise ParseError(400, "malformed trailer section")
            return pos
        if idx + 4 - pos > MAX_TRAILERS:
            raise ParseError(400, "trailer section too large")
        self.trailers = parse_fields(buf[pos:idx])
        self._state = _DONE
        return idx + 4
