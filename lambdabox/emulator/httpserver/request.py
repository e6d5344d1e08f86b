"""A request as handed to the handler: its head, its body, and the peer's disconnection."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from lambdabox.emulator.httpserver.body import RequestBody

if TYPE_CHECKING:
    from lambdabox.emulator.httpserver.connection import Connection


class Request(RequestBody):
    """One HTTP request as received; its body is read through :meth:`body` or :meth:`chunks`."""

    __slots__ = (
        "_handler_done",
        "_keep_alive",
        "_task",
        "connection_id",
        "headers",
        "method",
        "path",
        "peer",
        "query",
        "raw_fields",
        "target",
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
    raw_fields: bytes
    """The header section as received (CRLF-separated lines), kept only when the server was
    created with ``keep_raw_fields=True``; read it with :func:`.parsing.field_list`."""

    def __init__(
        self,
        conn: Connection,
        method: str,
        target: str,
        headers: dict[str, str],
        framing: int,
        length: int,
        keep_alive: bool,
        expect: bool,
    ) -> None:
        super().__init__(conn, framing, length, expect)
        self.method = method
        self.target = target
        path, _, query = target.partition("?")
        self.path = path
        self.query = query
        self.headers = headers
        self.peer = conn._peer
        self.connection_id = conn._id
        self.raw_fields = b""
        self._keep_alive = keep_alive
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
