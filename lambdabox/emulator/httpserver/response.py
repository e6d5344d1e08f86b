"""Sending the one response to a request: complete with ``Content-Length``, or streamed."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from lambdabox.emulator.httpserver.constants import (
    COMPLETE,
    INLINE_BODY,
    LENGTH,
    LINGER,
    MAX_DRAIN,
    NOT_STARTED,
    STREAMING,
)
from lambdabox.emulator.httpserver.errors import error_body
from lambdabox.emulator.httpserver.fields import STATUS_LINES, field_lines
from lambdabox.emulator.httpserver.streaming import ChunkedWriter

if TYPE_CHECKING:
    from lambdabox.emulator.httpserver.connection import Connection
    from lambdabox.emulator.httpserver.request import Request


class Responder:
    """Sends the one response to a request: :meth:`send`, or :meth:`start` then a body stream."""

    __slots__ = ("_close", "_conn", "_head_only", "_req", "_state", "status")

    def __init__(self, conn: Connection, req: Request) -> None:
        self._conn = conn
        self._req = req
        self._state = NOT_STARTED
        self.status: int | None = None
        """The status sent, once a response has started."""
        self._close = False
        self._head_only = req.method == "HEAD"

    @property
    def started(self) -> bool:
        """A response has been (or is being) sent."""
        return self._state != NOT_STARTED

    def _should_close(self, handler_close: bool) -> bool:
        conn = self._conn
        req = self._req
        if handler_close or conn._must_close or not req._keep_alive or conn._server._closing:
            return True
        if req._complete:
            return False
        if req._expect and not req._continue_sent:
            return True  # the client may or may not send the body now: cannot stay in sync
        return req._framing == LENGTH and conn._remaining > MAX_DRAIN

    def _connection_field(self, close: bool) -> str:
        if close:
            return "Connection: close\r\n"
        if not self._conn._http11:
            return "Connection: keep-alive\r\n"
        return ""

    def send(self, status: int, headers: Iterable[tuple[str, str]] = (), body: bytes = b"") -> None:
        """Send a complete response with ``Content-Length`` (no ``Date`` header is added).

        ``Content-Length``/``Transfer-Encoding`` in ``headers`` are ignored;
        ``Connection: close`` makes the server close the connection afterwards.
        Nothing is written if the peer has already gone.
        """
        if self._state != NOT_STARTED:
            raise RuntimeError("a response has already been sent")
        if not 200 <= status <= 999:
            raise ValueError(f"invalid final status {status}")
        lines, handler_close = field_lines(headers)
        close = self._should_close(handler_close)
        status_line = STATUS_LINES.get(status) or f"HTTP/1.1 {status} \r\n"
        if not isinstance(body, (bytes, bytearray, memoryview)):
            raise TypeError(f"the body must be bytes, not {type(body).__name__}")
        size = len(body)
        if status in (204, 304):
            if size:
                raise ValueError(f"a {status} response cannot have a body")
            framing = ""
        else:
            framing = f"Content-Length: {size}\r\n"
        head = f"{status_line}{lines}{framing}{self._connection_field(close)}\r\n".encode("latin-1")
        self._state = COMPLETE
        self.status = status
        self._close = close
        conn = self._conn
        if conn._state < LINGER:
            transport = conn._transport
            if self._head_only or not size:
                transport.write(head)
            elif size <= INLINE_BODY:
                transport.write(head + body)
            else:
                transport.write(head)
                transport.write(body)
        conn._response_done(self._req, close)

    def start(self, status: int, headers: Iterable[tuple[str, str]] = ()) -> ChunkedWriter:
        """Send the response head with ``Transfer-Encoding: chunked``; return the body writer.

        For an HTTP/1.0 client the body is sent unframed and the connection is
        closed at the end instead.
        """
        if self._state != NOT_STARTED:
            raise RuntimeError("a response has already been sent")
        if not 200 <= status <= 999 or status in (204, 304):
            raise ValueError(f"invalid status {status} for a streamed response")
        lines, handler_close = field_lines(headers)
        conn = self._conn
        raw = not conn._http11
        close = self._should_close(handler_close) or raw
        status_line = STATUS_LINES.get(status) or f"HTTP/1.1 {status} \r\n"
        framing = "" if raw else "Transfer-Encoding: chunked\r\n"
        head = f"{status_line}{lines}{framing}{self._connection_field(close)}\r\n"
        self._state = STREAMING
        self.status = status
        self._close = close
        if conn._state < LINGER:
            conn._transport.write(head.encode("latin-1"))
        return ChunkedWriter(self, raw)

    def _send_error(self, status: int, error_type: str, message: str) -> None:
        self.send(
            status,
            (("Content-Type", "application/json"),),
            b"" if self._head_only else error_body(error_type, message),
        )
