"""Running the handler for each request and completing the exchange (keep-alive or close).

:class:`Exchange` is the middle layer of :class:`~.connection.Connection`.  One
request is handled at a time; the next is parsed (:meth:`Exchange._process`,
provided by the subclass) once the response has been completely written and the
body fully received; a body the handler did not read is drained after it returns
(or the connection is closed when that is cheaper or unsafe).  A handler failure
is answered with 500 (an :class:`~.errors.HTTPError` with its own status), or the
connection is aborted when a response was already under way.
"""

from __future__ import annotations

import asyncio
import logging
from typing import cast

from lambdabox.emulator.httpserver.bounds import BoundedConnection
from lambdabox.emulator.httpserver.constants import (
    BODY,
    CLOSED,
    HEAD,
    LINGER,
    NOT_STARTED,
    STREAMING,
)
from lambdabox.emulator.httpserver.errors import HTTPError
from lambdabox.emulator.httpserver.request import Request
from lambdabox.emulator.httpserver.response import Responder

logger = logging.getLogger("lambdabox.emulator.httpserver")


class Exchange(BoundedConnection):
    """Runs the handler for each request read on a connection and completes its response."""

    __slots__ = ()

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
        gone = self._state == CLOSED
        if state == NOT_STARTED:
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
        if state == STREAMING:
            if exc is not None and not (gone and isinstance(exc, ConnectionError)):
                logger.error("%r: handler failed while streaming to %r", self, req, exc_info=exc)
            elif not cancelled and not gone:
                logger.error("%r: handler returned without ending the response to %r", self, req)
            self._abort()
            return
        if exc is not None and not isinstance(exc, (HTTPError, ConnectionError)):
            logger.error("%r: handler failed after responding to %r", self, req, exc_info=exc)
        if self._req is req and not req._complete and self._state == BODY:
            req._start_discard()

    def _response_done(self, req: Request, close: bool) -> None:
        """The response to ``req`` has been completely written."""
        if self._req is not req or self._state >= LINGER:
            return
        if close:
            self._close_now()
        elif req._complete:
            self._req = None
            self._resp = None
            self._state = HEAD
            buf = self._buf
            if buf:
                self._buf = b""
                try:
                    self._process(buf)
                except Exception:
                    logger.exception("%r: internal error while reading", self)
                    self._abort()
            if self._peer_closed and self._state < LINGER:
                # No more input will come: finish what is buffered, then close.
                following = self._req
                if following is None:
                    self._close_now()
                elif not following._complete:
                    following._fail(HTTPError(400, "connection closed inside a request"))
                    self._stop_input()
            self._update_reading()
            self._watch()
        elif req._handler_done:
            req._start_discard()

    def _process(self, buf: bytes) -> None:
        """Consume received bytes (provided by :class:`~.connection.Connection`)."""
        raise NotImplementedError
