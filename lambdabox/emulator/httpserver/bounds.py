"""The connection cap, and timing out peers idle or slow to send, on top of :mod:`.transport`.

A connection beyond :attr:`~.limits.Limits.max_connections` is answered 503 at
once and closed (lingering, so that the peer reads the answer).
:class:`BoundedConnection` keeps one timer per connection, armed only while the
server waits for the peer:

* idle: no request in progress and nothing received of the next one; closed quietly;
* head: part of a request head received; 408 and closed when it is not complete
  within ``head_timeout`` of its first byte (a slowloris peer trickling bytes
  does not restart the clock);
* body: the server reads a request body and none arrives for ``body_timeout``
  (the clock restarts with each piece received); the request fails with 408.

While a handler runs with the request received (long-polling ``/next``, waiting
for a function), or while reading is paused by back-pressure, no timer runs.
Moving a deadline later only stores it; the timer re-arms itself when it fires
early, so the common path costs no timer-heap operations.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from lambdabox.emulator.httpserver.constants import BODY, CLOSED, COMPLETE, HEAD, LINGER
from lambdabox.emulator.httpserver.errors import HTTPError, error_body
from lambdabox.emulator.httpserver.transport import ConnectionBase

if TYPE_CHECKING:
    from lambdabox.emulator.httpserver.server import HTTPServer

_NONE = 0
_IDLE = 1
_HEAD = 2
_BODY = 3


def overload_message(name: str, limit: int | None) -> str:
    """The message of a 503 over the connection cap (names the fix)."""
    return (
        f"{name} serves at most {limit} connections at once: close idle connections "
        "(or reuse them) and retry"
    )


class BoundedConnection(ConnectionBase):
    """A connection counted against the cap, closing idle peers and answering slow ones 408."""

    __slots__ = ("_counted", "_deadline", "_timer", "_wait")

    def __init__(self, server: HTTPServer, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(server, loop)
        self._deadline = 0.0
        self._timer: asyncio.TimerHandle | None = None
        self._wait = _NONE
        self._counted = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        if self._state == CLOSED:
            return
        if self._server._admit():
            self._counted = True
            self._watch()
        else:
            self._refuse()

    def _refuse(self) -> None:
        """Over the connection cap: answer 503 at once and close (lingering)."""
        limits = self._server.limits
        refusal = limits.refusal
        if refusal is None:
            message = overload_message(self._server.name, limits.max_connections)
            headers: tuple[tuple[str, str], ...] = (("Content-Type", "application/json"),)
            body = error_body("ServiceException", message)
        else:
            headers, body = refusal.headers, refusal.body
        fields = "".join(f"{name}: {value}\r\n" for name, value in headers)
        head = (
            f"HTTP/1.1 503 Service Unavailable\r\n{fields}"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        )
        self._transport.write(head.encode("latin-1") + body)
        self._linger_close()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._counted:
            self._counted = False
            self._server._active -= 1
        self._wait = _NONE
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        super().connection_lost(exc)

    def _watch(self) -> None:
        """Arm, move or drop the timer for what the connection now waits for."""
        state = self._state
        limits = self._server.limits
        timeout: float | None
        if state == HEAD:
            if self._buf:
                wait, timeout = _HEAD, limits.head_timeout
            else:
                wait, timeout = _IDLE, limits.idle_timeout
            if wait == self._wait:
                return  # still waiting for the same thing: the deadline stands
        elif state == BODY and not self._reading_paused:
            wait, timeout = _BODY, limits.body_timeout  # progress restarts the clock
        else:
            wait, timeout = _NONE, None
        if timeout is None:
            self._wait = _NONE
            return
        self._wait = wait
        loop = self._loop
        when = loop.time() + timeout
        self._deadline = when
        timer = self._timer
        if timer is None or timer.when() > when:
            if timer is not None:
                timer.cancel()
            self._timer = loop.call_at(when, self._expire)

    def _expire(self) -> None:
        self._timer = None
        wait = self._wait
        if wait == _NONE or self._state >= LINGER:
            return
        if self._loop.time() < self._deadline:
            self._timer = self._loop.call_at(self._deadline, self._expire)
            return
        self._wait = _NONE
        limits = self._server.limits
        if wait == _IDLE:
            self._state = LINGER
            self._transport.close()
        elif wait == _HEAD:
            self._reject(
                408,
                "RequestTimeout",
                f"the request head was not complete within {limits.head_timeout:g} s",
            )
        else:
            self._body_timed_out(limits.body_timeout)

    def _body_timed_out(self, timeout: float | None) -> None:
        req = self._req
        if req is not None:
            req._fail(HTTPError(408, f"no request body bytes received for {timeout:g} s"))
        self._stop_input()
        resp = self._resp
        if resp is None or resp._state == COMPLETE or req is None or req._handler_done:
            self._linger_close()  # answered already (draining the body): just close

    def _reject(self, status: int, error_type: str, message: str) -> None:
        """Answer a request that could not be read, then close (by the subclass)."""
        raise NotImplementedError
