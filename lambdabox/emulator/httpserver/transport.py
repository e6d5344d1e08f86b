"""A connection's state, its :class:`asyncio.Protocol` events, flow control and closing.

:class:`ConnectionBase` is the lowest layer of :class:`~.connection.Connection`:
it tracks the transport (reading paused while too much input waits, writers
waiting while output is paused), notices the peer closing, and closes the
connection: at once when idle, otherwise with a lingering close (write side shut
down, input discarded until EOF or :data:`~.constants.LINGER_SECONDS`), so that
the peer reads the answer instead of a reset.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from typing import TYPE_CHECKING, cast

from lambdabox.emulator.httpserver.constants import (
    BODY,
    BODY_HIGH_WATER,
    CLOSED,
    COMPLETE,
    HEAD,
    HOLD,
    IGNORE,
    LINGER,
    LINGER_SECONDS,
    PIPELINE_LIMIT,
)
from lambdabox.emulator.httpserver.errors import HTTPError

if TYPE_CHECKING:
    from lambdabox.emulator.httpserver.chunked import ChunkedDecoder
    from lambdabox.emulator.httpserver.request import Request
    from lambdabox.emulator.httpserver.response import Responder
    from lambdabox.emulator.httpserver.server import HTTPServer

_connection_ids = itertools.count(1)


class ConnectionBase(asyncio.Protocol):
    """One TCP connection's state and lifetime; requests are parsed and run by subclasses."""

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
        self._state = HEAD
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
        # No TCP_NODELAY here: asyncio's socket transports set it on every TCP socket
        # they are given (a second setsockopt per accepted connection is a wasted syscall).
        peer = transport.get_extra_info("peername")
        if isinstance(peer, tuple) and len(peer) >= 2:
            self._peer = (str(peer[0]), int(peer[1]))
        self._server._connections.add(self)
        if self._server._closing:
            self._state = CLOSED
            transport.abort()

    def eof_received(self) -> bool:
        self._peer_closed = True
        self._wake_disconnect_waiters()
        req = self._req
        resp = self._resp
        if req is None or resp is None or resp._state == COMPLETE or self._state >= LINGER:
            return False  # idle or answered: let the transport close
        if not req._complete:
            req._fail(HTTPError(400, "connection closed before the request body was complete"))
            self._stop_input()
        # Keep the write side open for the response (and those to requests already
        # buffered): the peer may only have shut down its sending side.
        return True

    def connection_lost(self, exc: Exception | None) -> None:
        self._state = CLOSED
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

    # -- flow control ---------------------------------------------------------------------

    def _stop_input(self) -> None:
        """Discard all further input; the connection closes after the response."""
        self._must_close = True
        self._state = max(self._state, IGNORE)
        self._buf = b""
        self._decoder = None
        self._update_reading()

    def _update_reading(self) -> None:
        state = self._state
        if state == CLOSED:
            return
        req = self._req
        pause = (state == BODY and req is not None and req._buffered > BODY_HIGH_WATER) or (
            state == HOLD and len(self._buf) > PIPELINE_LIMIT
        )
        if pause != self._reading_paused:
            self._reading_paused = pause
            if pause:
                self._transport.pause_reading()
            else:
                self._transport.resume_reading()
            self._watch()

    def _watch(self) -> None:
        """Re-arm the peer timers after a state change (see :mod:`.bounds`)."""

    async def _drain(self) -> None:
        if self._state == CLOSED:
            raise ConnectionResetError("the peer closed the connection")
        waiter: asyncio.Future[None] = self._loop.create_future()
        self._drain_waiters.append(waiter)
        try:
            await waiter
        finally:
            with contextlib.suppress(ValueError):
                self._drain_waiters.remove(waiter)
        if self._state == CLOSED:
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

    # -- closing --------------------------------------------------------------------------

    def _close_now(self) -> None:
        """Close after what has been written; linger if unread input may be pending."""
        if self._state >= LINGER:
            return
        req = self._req
        idle = (
            self._state in (HEAD, HOLD)
            and not self._buf
            and (req is None or req._complete)
            and not self._reading_paused
        )
        if idle or self._peer_closed:
            self._state = LINGER
            self._transport.close()
        else:
            self._linger_close()

    def _linger_close(self) -> None:
        """Shut down the write side, discard input until EOF (or a timeout), then close.

        Closing with unread input would make the kernel reset the connection,
        and the peer could lose the answer before reading it.
        """
        if self._state >= LINGER:
            return
        self._state = LINGER
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
        if self._state != CLOSED:
            self._state = CLOSED
            self._transport.abort()

    def _shutdown(self) -> None:
        """Server closing: close the connection now if no request is in progress."""
        if self._req is None and self._state == HEAD:
            self._state = LINGER
            self._transport.close()
