"""Writing a streamed response body: chunks flushed one by one, then the end and trailers."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from typing import TYPE_CHECKING

from lambdabox.emulator.httpserver.constants import COMPLETE, INLINE_BODY, LINGER, STREAMING
from lambdabox.emulator.httpserver.fields import field_lines

if TYPE_CHECKING:
    from lambdabox.emulator.httpserver.response import Responder


class ChunkedWriter:
    """Writes a chunked response body, then its end and trailer fields."""

    __slots__ = ("_conn", "_raw", "_resp")

    def __init__(self, resp: Responder, raw: bool) -> None:
        self._resp = resp
        self._conn = resp._conn
        self._raw = raw

    async def write(self, data: bytes) -> None:
        """Send ``data`` as one chunk, flushed immediately (empty data is skipped).

        Waits while the transport's buffer is above its high-water mark.
        Raises :class:`ConnectionResetError` when the peer has gone away.
        """
        conn = self._conn
        if self._resp._state != STREAMING:
            raise RuntimeError("the response has already ended")
        if conn._state >= LINGER:
            raise ConnectionResetError("the peer closed the connection")
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"data must be bytes, not {type(data).__name__}")
        size = len(data)
        if not size or self._resp._head_only:
            return
        transport = conn._transport
        if self._raw:
            transport.write(data)
        elif size <= INLINE_BODY:
            transport.write(b"%x\r\n%b\r\n" % (size, data))
        else:
            transport.write(b"%x\r\n" % size)
            transport.write(data)
            transport.write(b"\r\n")
        if conn._writing_paused:
            await conn._drain()

    async def end(self, trailers: Iterable[tuple[str, str]] = ()) -> None:
        """Send the last chunk and ``trailers``; the response is then complete.

        Trailers are dropped for an HTTP/1.0 client (which gets the body
        delimited by closing the connection instead).
        """
        resp = self._resp
        if resp._state != STREAMING:
            raise RuntimeError("the response has already ended")
        lines, _ = field_lines(trailers)
        conn = self._conn
        resp._state = COMPLETE
        if conn._state < LINGER and not self._raw and not resp._head_only:
            conn._transport.write(f"0\r\n{lines}\r\n".encode("latin-1"))
        conn._response_done(resp._req, resp._close)
        if conn._writing_paused and conn._state < LINGER:
            with contextlib.suppress(ConnectionError):
                await conn._drain()
