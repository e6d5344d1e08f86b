"""Incremental decoding of ``Transfer-Encoding: chunked`` request bodies and their trailers."""

from __future__ import annotations

from lambdabox.emulator.httpserver.parsing import ParseError, parse_fields

MAX_CHUNK_LINE = 4096
"""Longest accepted chunk-size line (size and extensions) in bytes."""
MAX_TRAILERS = 65536
"""Longest accepted trailer section in bytes."""
PARTIAL_FLUSH = 65536
"""A chunk this large is handed on in pieces before it is complete."""

_HEXDIG = b"0123456789abcdefABCDEF"
_EXT_OK = bytes(b for b in range(256) if (b >= 0x20 and b != 0x7F) or b == 0x09)
"""Bytes allowed in a chunk-size line with extensions."""

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
