"""A small, strict and fast HTTP/1.1 server on :class:`asyncio.Protocol` (stdlib only).

It serves the emulator's Runtime API and Invoke API on loopback.  Compared with
the mainstream servers it keeps request *trailers* (Lambda streaming responses
report errors in them), streams request bodies chunk by chunk, streams chunked
responses flushed per chunk, and costs little per request.

One request is handled at a time per connection.  Each request is handed to the
handler as an :class:`asyncio.Task` as soon as its header section has been
parsed, so the handler may long-poll before (or without) reading the body.  The
next request on the connection is parsed once the response has been completely
written and the body fully received; a body the handler did not read is drained
after it returns (or the connection is closed when that is cheaper or unsafe).

Every exception is contained per connection: parse errors are answered with 400
(431 for an oversized header section) and a JSON body, handler failures with
500, and the connection is closed or aborted whenever it could be out of sync.
A connection closed after an answer while the peer may still be sending first
shuts down its write side and discards input for a moment (a lingering close),
so that the peer reads the answer instead of a reset.

When the peer closes the connection (or only its sending side: the two cannot be
told apart), :attr:`Request.disconnected` becomes true and
:meth:`Request.wait_disconnected` returns; the current response, and those to
requests already received in full, can still be written, then the connection
is closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Optional, cast

from lambdabox.emulator._httpparse import (
    MAX_HEAD,
    REASONS,
    TCHAR,
    ChunkedDecoder,
    ParseError,
    has_token,
    parse_content_length,
    parse_fields,
    parse_request_line,
)

__all__ = [
    "BodyTooLarge",
    "ChunkedWriter",
    "HTTPError",
    "HTTPServer",
    "Handler",
    "Request",
    "Responder",
]

logger = logging.getLogger(__name__)

MAX_DRAIN = 8 << 20
"""An unread body remainder larger than this is not drained: the connection is closed."""
BODY_HIGH_WATER = 1 << 20
"""Reading pauses while this many received body bytes wait to be consumed."""
PIPELINE_LIMIT = MAX_HEAD + 4096
"""Reading pauses while this many bytes of a following request wait to be parsed."""
LINGER_SECONDS = 2.0
"""How long a connection being closed keeps reading (and discarding) after its answer."""
CLOSE_TIMEOUT = 5.0
"""How long :meth:`HTTPServer.close` waits for cancelled handlers to finish."""
_INLINE_BODY = 65536
"""Response bodies up to this size are written in the same buffer as the head."""

_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
_STATUS_LINES: dict[int, str] = {
    code: f"HTTP/1.1 {code} {phrase}\r\n" for code, phrase in REASONS.items()
}

_ERROR_TYPES = {400: "BadRequest", 413: "RequestEntityTooLargeException", 500: "ServiceException"}

# Connection input states.
_HEAD = 0  # waiting for a request head
_BODY = 1  # receiving the current request's body
_HOLD = 2  # body complete; waiting for the response (later bytes are kept)
_IGNORE = 3  # input is discarded; the connection closes after the response
_LINGER = 4  # answer written; closing (or write side shut, discarding input until EOF)
_CLOSED = 5

# Body framing.
_NONE = 0
_LENGTH = 1
_CHUNKED = 2

# Body consumer.
_UNCLAIMED = 0
_COLLECT = 1  # body()
_STREAM = 2  # chunks()
_DISCARD = 3  # drained by the server (handler done, refused or failed)

# Response state.
_NOT_STARTED = 0
_STREAMING = 1
_COMPLETE = 2

# Response header names the server manages itself.
_NAME_PLAIN = 0
_NAME_DROP = 1  # Content-Length, Transfer-Encoding: computed by the server
_NAME_CONNECTION = 2
_RESPONSE_NAMES: dict[str, int] = {}
_RESPONSE_NAMES_MAX = 1024

_connection_ids = itertools.count(1)


class HTTPError(Exception):
    """A client fault found while reading a request.

    Raised by :class:`Request` methods.  When it escapes the handler and no
    response has been sent yet, the server answers with :attr:`status` and a
    JSON body ``{"errorType": error_type, "errorMessage": message}``.
    """

    status: int
    message: str
    error_type: str

    def __init__(self, status: int, message: str, error_type: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_type = _error_type(status) if error_type is None else error_type


class BodyTooLarge(HTTPError):
    """The request body exceeds the limit given to :meth:`Request.body` (status 413)."""

    def __init__(self, message: str = "request body too large") -> None:
        super().__init__(413, message)


def _error_type(status: int) -> str:
    """The default ``errorType`` for a status: ``"BadRequest"``, ``"NotFound"``, ..."""
    return _ERROR_TYPES.get(status) or REASONS.get(status, "Error").replace(" ", "").replace(
        "-", ""
    )


def _error_body(error_type: str, message: str) -> bytes:
    return json.dumps({"errorType": error_type, "errorMessage": message}).encode("utf-8")


def _response_name_kind(name: str) -> int:
    """Validate a response field name once; return how the server treats it."""
    kind = _RESPONSE_NAMES.get(name)
    if kind is not None:
        return kind
    if not name or not name.isascii() or name.encode("ascii").translate(None, TCHAR):
        raise ValueError(f"invalid header field name {name!r}")
    lower = name.lower()
    if lower in ("content-length", "transfer-encoding"):
        kind = _NAME_DROP
    elif lower == "connection":
        kind = _NAME_CONNECTION
    else:
        kind = _NAME_PLAIN
    if len(_RESPONSE_NAMES) < _RESPONSE_NAMES_MAX:
        _RESPONSE_NAMES[name] = kind
    return kind


def _field_lines(fields: Iterable[tuple[str, str]]) -> tuple[str, bool]:
    """Format response header/trailer lines; return them and whether ``Connection: close``."""
    lines: list[str] = []
    close = False
    for name, value in fields:
        kind = _response_name_kind(name)
        if kind == _NAME_PLAIN:
            lines.append(f"{name}: {value}\r\n")
        elif kind == _NAME_CONNECTION and has_token(value, "close"):
            close = True
    if not lines:
        return "", close
    text = "".join(lines)
    count = len(lines)
    if text.count("\r") != count or text.count("\n") != count:
        raise ValueError("CR or LF in a header field value")
    return text, close


class Request:
    """One HTTP request as received; its body is read through :meth:`body` or :meth:`chunks`."""

    __slots__ = (
        "_buffered",
        "_cache",
        "_complete",
        "_conn",
        "_consumer",
        "_continue_sent",
        "_discarded",
        "_error",
        "_expect",
        "_framing",
        "_handler_done",
        "_keep_alive",
        "_length",
        "_pieces",
        "_task",
        "_waiter",
        "connection_id",
        "headers",
        "method",
        "path",
        "peer",
        "query",
        "target",
        "trailers",
    )

    method: str
    """Request method, e.g. ``"GET"``."""
    target: str
    """The raw request target."""
    path: str
    """The target without the query string (no percent-decoding)."""
    query: str
    """The part of the target after ``?``, or ``""``."""
    headers: dict[str, str]
    """Header fields with lower-case names; repeated fields joined with ``", "``."""
    peer: tuple[str, int]
    """The client's address."""
    connection_id: int
    """Unique per TCP connection (a process-wide counter)."""
    trailers: dict[str, str]
    """Trailer fields (lower-case names), filled once a chunked body has been read to the end."""

    def __init__(
        self,
        conn: _Connection,
        method: str,
        target: str,
        headers: dict[str, str],
        framing: int,
        length: int,
        keep_alive: bool,
        expect: bool,
    ) -> None:
        self._conn = conn
        self.method = method
        self.target = target
        path, _, query = target.partition("?")
        self.path = path
        self.query = query
        self.headers = headers
        self.peer = conn._peer
        self.connection_id = conn._id
        self.trailers = {}
        self._framing = framing
        self._length = length
        self._keep_alive = keep_alive
        self._expect = expect
        self._continue_sent = False
        self._complete = framing == _NONE
        self._pieces: list[bytes] = []
        self._buffered = 0
        self._discarded = 0
        self._consumer = _UNCLAIMED
        self._cache: bytes | None = None
        self._error: HTTPError | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._handler_done = False
        self._task: asyncio.Task[None] | None = None

    def __repr__(self) -> str:
        return f"<Request {self.method} {self.target} connection={self.connection_id}>"

    @property
    def disconnected(self) -> bool:
        """The peer closed the connection (or shut down its sending side)."""
        return self._conn._peer_closed

    def disconnect_future(self) -> asyncio.Future[None]:
        """A future resolved when the peer closes the connection; cancel it when done.

        The cheap form of :meth:`wait_disconnected` for a long poll: no task per request.
        """
        conn = self._conn
        future: asyncio.Future[None] = conn._loop.create_future()
        if conn._peer_closed:
            future.set_result(None)
        else:
            conn._disconnect_waiters.add(future)
            future.add_done_callback(conn._disconnect_waiters.discard)
        return future

    async def wait_disconnected(self) -> None:
        """Return once the peer closes the connection (e.g. during a long poll).

        Disconnection is only noticed while the server is reading from the
        connection, which it does except while 1 MiB of unconsumed body or
        64 KiB of a following pipelined request is buffered.
        """
        conn = self._conn
        if conn._peer_closed:
            return
        waiter: asyncio.Future[None] = conn._loop.create_future()
        conn._disconnect_waiters.add(waiter)
        try:
            await waiter
        finally:
            conn._disconnect_waiters.discard(waiter)

    async def body(self, limit: int | None = None) -> bytes:
        """Return the whole body (``Content-Length`` or chunked; ``b""`` when there is none).

        Raises :class:`BodyTooLarge` when it is (or turns out to be) larger than
        ``limit`` bytes, without reading the rest; the connection is then closed
        after the response.  Raises :class:`HTTPError` (400) when the body is
        malformed or the peer closed the connection before sending all of it.
        Sends ``100 Continue`` first if the client asked for it.  Calling it
        again returns the same bytes.
        """
        cache = self._cache
        if cache is not None:
            if limit is not None and len(cache) > limit:
                raise BodyTooLarge(f"request body larger than {limit} bytes")
            return cache
        if self._error is not None:
            raise self._error
        if self._consumer != _UNCLAIMED:
            raise RuntimeError("the request body is already being consumed")
        self._consumer = _COLLECT
        if limit is not None and self._framing == _LENGTH and self._length > limit:
            self._refuse(limit)
        if self._complete:
            pieces = self._pieces
            self._pieces = []
            self._buffered = 0
            data = pieces[0] if len(pieces) == 1 else b"".join(pieces)
            if limit is not None and len(data) > limit:
                self._refuse(limit)
        else:
            self._send_continue()
            parts: list[bytes] = []
            total = 0
            while True:
                if self._pieces:
                    parts += self._pieces
                    total += self._buffered
                    self._pieces = []
                    self._buffered = 0
                    self._conn._update_reading()
                    if limit is not None and total > limit:
                        self._refuse(limit)
                if self._error is not None:
                    raise self._error
                if self._complete:
                    break
                await self._wait()
            data = parts[0] if len(parts) == 1 else b"".join(parts)
        self._cache = data
        return data

    async def chunks(self) -> AsyncIterator[bytes]:
        """Yield the body piece by piece as it arrives.

        For a chunked body each chunk is yielded as soon as it is complete (a
        chunk over 64 KiB may come in pieces); for a ``Content-Length`` body,
        whatever has arrived.  :attr:`trailers` is filled once exhausted.
        Raises :class:`HTTPError` like :meth:`body`.
        """
        if self._cache is not None:
            if self._cache:
                yield self._cache
            return
        if self._error is not None:
            raise self._error
        if self._consumer != _UNCLAIMED:
            raise RuntimeError("the request body is already being consumed")
        self._consumer = _STREAM
        if not self._complete:
            self._send_continue()
        chunked = self._framing == _CHUNKED
        while True:
            pieces = self._pieces
            if pieces:
                self._pieces = []
                self._buffered = 0
                self._conn._update_reading()
                if chunked:
                    for piece in pieces:
                        yield piece
                else:
                    yield pieces[0] if len(pieces) == 1 else b"".join(pieces)
                continue
            if self._error is not None:
                raise self._error
            if self._complete:
                return
            await self._wait()

    # -- internals -------------------------------------------------------------------------

    async def _wait(self) -> None:
        waiter: asyncio.Future[None] = self._conn._loop.create_future()
        self._waiter = waiter
        try:
            await waiter
        finally:
            self._waiter = None

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _send_continue(self) -> None:
        if self._expect and not self._continue_sent:
            conn = self._conn
            resp = conn._resp
            if (
                conn._req is self
                and conn._state <= _HOLD
                and resp is not None
                and resp._state == _NOT_STARTED
            ):
                self._continue_sent = True
                conn._transport.write(_CONTINUE)

    def _refuse(self, limit: int) -> None:
        """Refuse the body: discard the rest, close after the response, raise 413."""
        error = BodyTooLarge(f"request body larger than {limit} bytes")
        self._error = error
        self._consumer = _DISCARD
        self._pieces = []
        self._buffered = 0
        if not self._complete:
            self._conn._stop_input()
        self._conn._must_close = True
        raise error

    def _fail(self, error: HTTPError) -> None:
        if self._error is None:
            self._error = error
        self._pieces = []
        self._buffered = 0
        self._wake()

    def _feed(self, piece: bytes) -> None:
        if self._consumer == _DISCARD:
            self._discarded += len(piece)
            if self._discarded > MAX_DRAIN:
                self._conn._close_now()
            return
        self._pieces.append(piece)
        self._buffered += len(piece)
        self._wake()
        if self._buffered > BODY_HIGH_WATER:
            self._conn._update_reading()

    def _start_discard(self) -> None:
        """The handler is done and the body is still arriving: drain it (or close)."""
        self._consumer = _DISCARD
        self._discarded = self._buffered
        self._pieces = []
        self._buffered = 0
        conn = self._conn
        if self._framing == _LENGTH and conn._remaining > MAX_DRAIN:
            conn._close_now()
        else:
            conn._update_reading()


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
        if self._resp._state != _STREAMING:
            raise RuntimeError("the response has already ended")
        if conn._state >= _LINGER:
            raise ConnectionResetError("the peer closed the connection")
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"data must be bytes, not {type(data).__name__}")
        size = len(data)
        if not size or self._resp._head_only:
            return
        transport = conn._transport
        if self._raw:
            transport.write(data)
        elif size <= _INLINE_BODY:
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
        if resp._state != _STREAMING:
            raise RuntimeError("the response has already ended")
        lines, _ = _field_lines(trailers)
        conn = self._conn
        resp._state = _COMPLETE
        if conn._state < _LINGER and not self._raw and not resp._head_only:
            conn._transport.write(f"0\r\n{lines}\r\n".encode("latin-1"))
        conn._response_done(resp._req, resp._close)
        if conn._writing_paused and conn._state < _LINGER:
            with contextlib.suppress(ConnectionError):
                await conn._drain()


class Responder:
    """Sends the one response to a request: :meth:`send`, or :meth:`start` then a body stream."""

    __slots__ = ("_close", "_conn", "_head_only", "_req", "_state")

    def __init__(self, conn: _Connection, req: Request) -> None:
        self._conn = conn
        self._req = req
        self._state = _NOT_STARTED
        self._close = False
        self._head_only = req.method == "HEAD"

    @property
    def started(self) -> bool:
        """A response has been (or is being) sent."""
        return self._state != _NOT_STARTED

    def _should_close(self, handler_close: bool) -> bool:
        conn = self._conn
        req = self._req
        if handler_close or conn._must_close or not req._keep_alive or conn._server._closing:
            return True
        if req._complete:
            return False
        if req._expect and not req._continue_sent:
            return True  # the client may or may not send the body now: cannot stay in sync
        return req._framing == _LENGTH and conn._remaining > MAX_DRAIN

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
        if self._state != _NOT_STARTED:
            raise RuntimeError("a response has already been sent")
        if not 200 <= status <= 999:
            raise ValueError(f"invalid final status {status}")
        lines, handler_close = _field_lines(headers)
        close = self._should_close(handler_close)
        status_line = _STATUS_LINES.get(status) or f"HTTP/1.1 {status} \r\n"
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
        self._state = _COMPLETE
        self._close = close
        conn = self._conn
        if conn._state < _LINGER:
            transport = conn._transport
            if self._head_only or not size:
                transport.write(head)
            elif size <= _INLINE_BODY:
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
        if self._state != _NOT_STARTED:
            raise RuntimeError("a response has already been sent")
        if not 200 <= status <= 999 or status in (204, 304):
            raise ValueError(f"invalid status {status} for a streamed response")
        lines, handler_close = _field_lines(headers)
        conn = self._conn
        raw = not conn._http11
        close = self._should_close(handler_close) or raw
        status_line = _STATUS_LINES.get(status) or f"HTTP/1.1 {status} \r\n"
        framing = "" if raw else "Transfer-Encoding: chunked\r\n"
        head = f"{status_line}{lines}{framing}{self._connection_field(close)}\r\n"
        self._state = _STREAMING
        self._close = close
        if conn._state < _LINGER:
            conn._transport.write(head.encode("latin-1"))
        return ChunkedWriter(self, raw)

    def _send_error(self, status: int, error_type: str, message: str) -> None:
        self.send(
            status,
            (("Content-Type", "application/json"),),
            b"" if self._head_only else _error_body(error_type, message),
        )


Handler = Callable[[Request, Responder], Awaitable[None]]
"""An HTTP request handler: must send exactly one response through the :class:`Responder`."""


class _Connection(asyncio.Protocol):
    """One TCP connection: parses requests and runs the handler for each."""

    __slots__ = (
        "_buf",
        "_decoder",
        "_disconnect_waiters",
        "_drain_waiters",
        "_handler",
        "_http11",
        "_id",
        "_linger",
        "_loop",
        "_must_close",
        "_peer",
        "_peer_closed",
        "_reading_paused",
        "_remaining",
        "_req",
        "_resp",
        "_server",
        "_state",
        "_transport",
        "_writing_paused",
    )

    def __init__(self, server: HTTPServer, loop: asyncio.AbstractEventLoop) -> None:
        self._server = server
        self._loop = loop
        self._handler = server._handler
        self._transport: asyncio.Transport = cast(asyncio.Transport, None)
        self._id = next(_connection_ids)
        self._peer: tuple[str, int] = ("", 0)
        self._buf = b""
        self._state = _HEAD
        self._req: Request | None = None
        self._resp: Responder | None = None
        self._decoder: ChunkedDecoder | None = None
        self._remaining = 0
        self._http11 = True
        self._must_close = False
        self._peer_closed = False
        self._reading_paused = False
        self._writing_paused = False
        self._drain_waiters: list[asyncio.Future[None]] = []
        self._disconnect_waiters: set[asyncio.Future[None]] = set()
        self._linger: asyncio.TimerHandle | None = None

    def __repr__(self) -> str:
        return f"<{self._server.name} connection {self._id} from {self._peer}>"

    # -- asyncio.Protocol -----------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)
        transport = self._transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        peer = transport.get_extra_info("peername")
        if isinstance(peer, tuple) and len(peer) >= 2:
            self._peer = (str(peer[0]), int(peer[1]))
        self._server._connections.add(self)
        if self._server._closing:
            self._state = _CLOSED
            transport.abort()

    def data_received(self, data: bytes) -> None:
        if self._state >= _IGNORE:
            return
        buf = self._buf
        if buf:
            data = buf + data
            self._buf = b""
        try:
            self._process(data)
        except Exception:
            logger.exception("%r: internal error while reading", self)
            self._abort()

    def eof_received(self) -> bool:
        self._peer_closed = True
        self._wake_disconnect_waiters()
        req = self._req
        resp = self._resp
        if req is None or resp is None or resp._state == _COMPLETE or self._state >= _LINGER:
            return False  # idle or answered: let the transport close
        if not req._complete:
            req._fail(HTTPError(400, "connection closed before the request body was complete"))
            self._stop_input()
        # Keep the write side open for the response (and those to requests already
        # buffered): the peer may only have shut down its sending side.
        return True

    def connection_lost(self, exc: Exception | None) -> None:
        self._state = _CLOSED
        self._peer_closed = True
        self._buf = b""
        if self._linger is not None:
            self._linger.cancel()
            self._linger = None
        self._server._connection_lost(self)
        self._wake_disconnect_waiters()
        self._wake_drain_waiters()
        req = self._req
        if req is not None and not req._complete:
            req._fail(HTTPError(400, "connection closed before the request body was complete"))

    def pause_writing(self) -> None:
        self._writing_paused = True

    def resume_writing(self) -> None:
        self._writing_paused = False
        self._wake_drain_waiters()

    # -- input ----------------------------------------------------------------------------

    def _process(self, buf: bytes) -> None:
        """Consume ``buf`` according to the input state; keep what cannot be used yet."""
        pos = 0
        end = len(buf)
        while pos < end:
            state = self._state
            if state == _HEAD:
                pos = self._parse_head(buf, pos)
                if pos < 0:
                    return
            elif state == _BODY:
                pos = self._feed_body(buf, pos)
                if self._state == _BODY:
                    if pos < end:
                        self._buf = buf[pos:]
                    return
            elif state == _HOLD:
                self._buf = buf[pos:] if pos else buf
                if len(self._buf) > PIPELINE_LIMIT:
                    self._update_reading()
                return
            else:
                return

    def _parse_head(self, buf: bytes, pos: int) -> int:
        """Parse and dispatch one request head; return the position after it or -1."""
        while buf.startswith(b"\r\n", pos):  # RFC 9112 2.2: ignore empty lines before a request
            pos += 2
        idx = buf.find(b"\r\n\r\n", pos)
        if idx < 0:
            rest = len(buf) - pos
            if rest > MAX_HEAD:
                self._reject(431, "RequestHeaderFieldsTooLarge", "request header section too large")
            elif buf.find(b"\n\n", pos) >= 0 or buf.startswith(b"\n", pos):
                self._reject(400, "BadRequest", "bare LF in request header section")
            elif rest:
                self._buf = buf[pos:] if pos else buf
            return -1
        if idx + 4 - pos > MAX_HEAD:
            self._reject(431, "RequestHeaderFieldsTooLarge", "request header section too large")
            return -1
        line_end = buf.find(b"\r\n", pos)
        try:
            method, target, http11 = parse_request_line(buf[pos:line_end])
            headers = parse_fields(buf[line_end + 2 : idx]) if line_end < idx else {}
            framing, length = self._framing(headers, http11)
        except ParseError as exc:
            self._reject(exc.status, _error_type(exc.status), exc.message)
            return -1
        connection = headers.get("connection")
        if http11:
            keep_alive = connection is None or not has_token(connection, "close")
        else:
            keep_alive = connection is not None and has_token(connection, "keep-alive")
        expect = headers.get("expect")
        req = Request(
            self,
            method,
            target,
            headers,
            framing,
            length,
            keep_alive,
            http11 and expect is not None and expect.lower() == "100-continue",
        )
        resp = Responder(self, req)
        self._req = req
        self._resp = resp
        self._http11 = http11
        if framing == _NONE:
            self._state = _HOLD
        else:
            self._state = _BODY
            self._remaining = length
            self._decoder = ChunkedDecoder() if framing == _CHUNKED else None
        server = self._server
        task = self._loop.create_task(self._run(req, resp))
        req._task = task
        server._tasks.add(task)
        return idx + 4

    @staticmethod
    def _framing(headers: dict[str, str], http11: bool) -> tuple[int, int]:
        te = headers.get("transfer-encoding")
        cl = headers.get("content-length")
        if te is not None:
            if cl is not None:
                raise ParseError(400, "both Content-Length and Transfer-Encoding")
            if te.strip(" \t").lower() != "chunked":
                raise ParseError(400, f"unsupported Transfer-Encoding {te!r}")
            if not http11:
                raise ParseError(400, "Transfer-Encoding in an HTTP/1.0 request")
            return _CHUNKED, 0
        if cl is not None:
            length = parse_content_length(cl)
            if length:
                return _LENGTH, length
        return _NONE, 0

    def _feed_body(self, buf: bytes, pos: int) -> int:
        req = cast(Request, self._req)
        decoder = self._decoder
        if decoder is None:
            n = min(self._remaining, len(buf) - pos)
            req._feed(buf[pos : pos + n])
            pos += n
            self._remaining -= n
            if self._remaining == 0 and self._state == _BODY:
                self._body_complete(req, None)
            return pos
        try:
            pos = decoder.feed(buf, pos)
        except ParseError as exc:
            req._fail(HTTPError(exc.status, exc.message))
            self._must_close = True
            self._stop_input()
            return len(buf)
        out = decoder.out
        if out:
            for piece in out:
                req._feed(piece)
            out.clear()
        if decoder.done and self._state == _BODY:
            self._body_complete(req, decoder.trailers)
        return pos

    def _body_complete(self, req: Request, trailers: dict[str, str] | None) -> None:
        if trailers is not None:
            req.trailers = trailers
        req._complete = True
        req._wake()
        self._decoder = None
        resp = self._resp
        if resp is not None and resp._state == _COMPLETE:
            self._req = None
            self._resp = None
            self._state = _HEAD
        else:
            self._state = _HOLD
        if self._reading_paused:
            self._update_reading()

    def _stop_input(self) -> None:
        """Discard all further input; the connection closes after the response."""
        self._must_close = True
        self._state = max(self._state, _IGNORE)
        self._buf = b""
        self._decoder = None
        self._update_reading()

    def _update_reading(self) -> None:
        state = self._state
        if state == _CLOSED:
            return
        req = self._req
        pause = (state == _BODY and req is not None and req._buffered > BODY_HIGH_WATER) or (
            state == _HOLD and len(self._buf) > PIPELINE_LIMIT
        )
        if pause != self._reading_paused:
            self._reading_paused = pause
            if pause:
                self._transport.pause_reading()
            else:
                self._transport.resume_reading()

    # -- requests and responses ------------------------------------------------------------

    async def _run(self, req: Request, resp: Responder) -> None:
        try:
            try:
                await self._handler(req, resp)
            except asyncio.CancelledError:
                self._handler_done(req, resp, None, cancelled=True)
                raise
            except Exception as exc:
                self._handler_done(req, resp, exc)
            else:
                self._handler_done(req, resp, None)
        except Exception:
            logger.exception("%r: internal error after the handler for %r", self, req)
            self._abort()
        finally:
            self._server._tasks.discard(cast("asyncio.Task[None]", req._task))

    def _handler_done(
        self, req: Request, resp: Responder, exc: Exception | None, cancelled: bool = False
    ) -> None:
        req._handler_done = True
        state = resp._state
        gone = self._state == _CLOSED
        if state == _NOT_STARTED:
            if cancelled:
                self._abort()
            elif isinstance(exc, HTTPError):
                resp._send_error(exc.status, exc.error_type, exc.message)
            elif exc is not None:
                if not (gone and isinstance(exc, ConnectionError)):
                    logger.error("%r: handler failed on %r", self, req, exc_info=exc)
                resp._send_error(500, "ServiceException", f"{type(exc).__name__}: {exc}")
            else:
                if not gone:
                    logger.error("%r: handler returned without a response to %r", self, req)
                resp._send_error(500, "ServiceException", "the handler sent no response")
            return
        if state == _STREAMING:
            if exc is not None and not (gone and isinstance(exc, ConnectionError)):
                logger.error("%r: handler failed while streaming to %r", self, req, exc_info=exc)
            elif not cancelled and not gone:
                logger.error("%r: handler returned without ending the response to %r", self, req)
            self._abort()
            return
        if exc is not None and not isinstance(exc, (HTTPError, ConnectionError)):
            logger.error("%r: handler failed after responding to %r", self, req, exc_info=exc)
        if self._req is req and not req._complete and self._state == _BODY:
            req._start_discard()

    def _response_done(self, req: Request, close: bool) -> None:
        """The response to ``req`` has been completely written."""
        if self._req is not req or self._state >= _LINGER:
            return
        if close:
            self._close_now()
        elif req._complete:
            self._req = None
            self._resp = None
            self._state = _HEAD
            buf = self._buf
            if buf:
                self._buf = b""
                try:
                    self._process(buf)
                except Exception:
                    logger.exception("%r: internal error while reading", self)
                    self._abort()
            if self._peer_closed and self._state < _LINGER:
                # No more input will come: finish what is buffered, then close.
                following = self._req
                if following is None:
                    self._close_now()
                elif not following._complete:
                    following._fail(HTTPError(400, "connection closed inside a request"))
                    self._stop_input()
            self._update_reading()
        elif req._handler_done:
            req._start_discard()

    def _reject(self, status: int, error_type: str, message: str) -> None:
        """Answer a request that could not be parsed, then close."""
        self._buf = b""
        body = _error_body(error_type, message)
        status_line = _STATUS_LINES.get(status) or f"HTTP/1.1 {status} \r\n"
        head = (
            f"{status_line}Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n"
        )
        self._transport.write(head.encode("latin-1") + body)
        self._linger_close()

    def _close_now(self) -> None:
        """Close after what has been written; linger if unread input may be pending."""
        if self._state >= _LINGER:
            return
        req = self._req
        idle = (
            self._state in (_HEAD, _HOLD)
            and not self._buf
            and (req is None or req._complete)
            and not self._reading_paused
        )
        if idle or self._peer_closed:
            self._state = _LINGER
            self._transport.close()
        else:
            self._linger_close()

    def _linger_close(self) -> None:
        """Shut down the write side, discard input until EOF (or a timeout), then close.

        Closing with unread input would make the kernel reset the connection,
        and the peer could lose the answer before reading it.
        """
        if self._state >= _LINGER:
            return
        self._state = _LINGER
        self._buf = b""
        transport = self._transport
        if self._reading_paused:
            self._reading_paused = False
            transport.resume_reading()
        if self._peer_closed or not transport.can_write_eof():
            transport.close()
            return
        try:
            transport.write_eof()
        except (OSError, RuntimeError):
            transport.close()
            return
        self._linger = self._loop.call_later(LINGER_SECONDS, self._abort)

    def _abort(self) -> None:
        if self._state != _CLOSED:
            self._state = _CLOSED
            self._transport.abort()

    async def _drain(self) -> None:
        if self._state == _CLOSED:
            raise ConnectionResetError("the peer closed the connection")
        waiter: asyncio.Future[None] = self._loop.create_future()
        self._drain_waiters.append(waiter)
        try:
            await waiter
        finally:
            with contextlib.suppress(ValueError):
                self._drain_waiters.remove(waiter)
        if self._state == _CLOSED:
            raise ConnectionResetError("the peer closed the connection")

    def _wake_drain_waiters(self) -> None:
        waiters = self._drain_waiters
        if waiters:
            self._drain_waiters = []
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)

    def _wake_disconnect_waiters(self) -> None:
        waiters = self._disconnect_waiters
        if waiters:
            for waiter in list(waiters):
                if not waiter.done():
                    waiter.set_result(None)

    def _shutdown(self) -> None:
        """Server closing: close the connection now if no request is in progress."""
        if self._req is None and self._state == _HEAD:
            self._state = _LINGER
            self._transport.close()


class HTTPServer:
    """An HTTP/1.1 server calling ``handler`` for each request (see the module docstring)."""

    def __init__(
        self, handler: Handler, host: str = "127.0.0.1", port: int = 0, *, name: str = "http"
    ) -> None:
        self._handler = handler
        self._host = host
        self._port = port
        self.name = name
        """Used in log messages."""
        self._server: asyncio.Server | None = None
        self._address: tuple[str, int] | None = None
        self._connections: set[_Connection] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._closing = False
        self._closed: Optional[asyncio.Future[None]] = None
        self._all_closed: Optional[asyncio.Future[None]] = None

    def __repr__(self) -> str:
        return f"<HTTPServer {self.name} {self._address}>"

    async def start(self) -> None:
        """Bind (with ``SO_REUSEADDR``) and start accepting connections."""
        if self._server is not None:
            raise RuntimeError("the server has already been started")
        loop = asyncio.get_running_loop()
        family, kind, proto, _, address = socket.getaddrinfo(
            self._host, self._port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        sock = socket.socket(family, kind, proto)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(address)
            sock.setblocking(False)
            self._server = await loop.create_server(
                lambda: _Connection(self, loop), sock=sock, backlog=128
            )
        except BaseException:
            sock.close()
            raise
        bound = sock.getsockname()
        self._address = (str(bound[0]), int(bound[1]))

    @property
    def address(self) -> tuple[str, int]:
        """The bound ``(host, port)``."""
        if self._address is None:
            raise RuntimeError("the server has not been started")
        return self._address

    async def close(self) -> None:
        """Stop accepting, close idle connections, cancel in-flight handlers, close the rest."""
        server = self._server
        if server is None:
            return
        if self._closed is not None:
            await asyncio.shield(self._closed)
            return
        self._closing = True
        self._closed = asyncio.get_running_loop().create_future()
        try:
            await self._close(server)
        finally:
            self._closed.set_result(None)

    async def _close(self, server: asyncio.Server) -> None:
        server.close()
        for conn in list(self._connections):
            conn._shutdown()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=CLOSE_TIMEOUT)
        for conn in list(self._connections):
            conn._abort()
        if self._connections:
            self._all_closed = asyncio.get_running_loop().create_future()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._all_closed, CLOSE_TIMEOUT)
        await server.wait_closed()

    def _connection_lost(self, conn: _Connection) -> None:
        self._connections.discard(conn)
        waiter = self._all_closed
        if waiter is not None and not self._connections and not waiter.done():
            waiter.set_result(None)
