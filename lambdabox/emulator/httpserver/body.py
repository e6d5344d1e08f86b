"""Receiving a request body and handing it to the handler, whole or piece by piece.

:class:`RequestBody` is the body half of :class:`~.request.Request`: the
connection feeds it the decoded body as it arrives (:meth:`RequestBody._feed`);
the handler collects it (:meth:`~RequestBody.body`) or streams it
(:meth:`~RequestBody.chunks`); what the handler leaves unread is drained.
Buffered data above :data:`~.constants.BODY_HIGH_WATER` pauses reading.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from lambdabox.emulator.httpserver.constants import (
    BODY_HIGH_WATER,
    CHUNKED,
    HOLD,
    LENGTH,
    MAX_DRAIN,
    NO_BODY,
    NOT_STARTED,
)
from lambdabox.emulator.httpserver.errors import BodyTooLarge, HTTPError

if TYPE_CHECKING:
    from lambdabox.emulator.httpserver.connection import Connection

_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"

# Body consumer.
_UNCLAIMED = 0
_COLLECT = 1  # body()
_STREAM = 2  # chunks()
_DISCARD = 3  # drained by the server (handler done, refused or failed)


class RequestBody:
    """A request's body as received; read through :meth:`body` or :meth:`chunks`."""

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
        "_length",
        "_pieces",
        "_waiter",
        "trailers",
    )

    trailers: dict[str, str]
    """Trailer fields (lower-case names), filled once a chunked body has been read to the end."""

    def __init__(self, conn: Connection, framing: int, length: int, expect: bool) -> None:
        self._conn = conn
        self.trailers = {}
        self._framing = framing
        self._length = length
        self._expect = expect
        self._continue_sent = False
        self._complete = framing == NO_BODY
        self._pieces: list[bytes] = []
        self._buffered = 0
        self._discarded = 0
        self._consumer = _UNCLAIMED
        self._cache: bytes | None = None
        self._error: HTTPError | None = None
        self._waiter: asyncio.Future[None] | None = None

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
        if limit is not None and self._framing == LENGTH and self._length > limit:
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
        chunked = self._framing == CHUNKED
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
                and conn._state <= HOLD
                and resp is not None
                and resp._state == NOT_STARTED
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
        if self._framing == LENGTH and conn._remaining > MAX_DRAIN:
            conn._close_now()
        else:
            conn._update_reading()
