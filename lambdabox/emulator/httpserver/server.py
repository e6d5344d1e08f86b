"""The server: binds the listening socket, accepts connections, and closes them all."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Awaitable, Callable
from typing import Optional

from lambdabox.emulator.httpserver.connection import Connection
from lambdabox.emulator.httpserver.constants import CLOSE_TIMEOUT
from lambdabox.emulator.httpserver.limits import INVOKE_API, Limits
from lambdabox.emulator.httpserver.request import Request
from lambdabox.emulator.httpserver.response import Responder
from lambdabox.emulator.httpserver.transport import ConnectionBase

logger = logging.getLogger("lambdabox.emulator.httpserver")

Handler = Callable[[Request, Responder], Awaitable[None]]
"""An HTTP request handler: must send exactly one response through the :class:`Responder`."""


class HTTPServer:
    """An HTTP/1.1 server calling ``handler`` for each request (see the package docstring)."""

    def __init__(
        self,
        handler: Handler,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        name: str = "http",
        keep_raw_fields: bool = False,
        sock: socket.socket | None = None,
        limits: Limits = INVOKE_API,
    ) -> None:
        """`sock`: a socket already bound and listening (on `host`:`port`) to serve on;
        `limits`: the connection cap and the idle and slow-peer timeouts."""
        self._handler = handler
        self.limits = limits
        """Connection cap and peer timeouts (:class:`~.limits.Limits`)."""
        self._active = 0
        self._saturated = False
        self.keep_raw_fields = keep_raw_fields
        """Give each request its header section as received (:attr:`Request.raw_fields`)."""
        self._sock = sock
        self._host = host
        self._port = port
        self.name = name
        """Used in log messages."""
        self._server: asyncio.Server | None = None
        self._address: tuple[str, int] | None = None
        self._connections: set[ConnectionBase] = set()
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
        if self._sock is not None:
            sock, self._sock = self._sock, None
            sock.setblocking(False)
            self._server = await loop.create_server(
                lambda: Connection(self, loop), sock=sock, backlog=128
            )
            bound = sock.getsockname()
            self._address = (str(bound[0]), int(bound[1]))
            return
        family, kind, proto, _, address = socket.getaddrinfo(
            self._host, self._port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        sock = socket.socket(family, kind, proto)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(address)
            sock.setblocking(False)
            self._server = await loop.create_server(
                lambda: Connection(self, loop), sock=sock, backlog=128
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

    def _admit(self) -> bool:
        """Count a new connection in, unless the cap is reached (warned once per episode)."""
        limit = self.limits.max_connections
        if limit is not None and self._active >= limit:
            if not self._saturated:
                self._saturated = True
                logger.warning(
                    "%s: %d connections open, the most it serves; answering new ones 503",
                    self.name,
                    limit,
                )
            return False
        self._active += 1
        if self._saturated and limit is not None and self._active < limit:
            self._saturated = False
        return True

    def _connection_lost(self, conn: ConnectionBase) -> None:
        self._connections.discard(conn)
        waiter = self._all_closed
        if waiter is not None and not self._connections and not waiter.done():
            waiter.set_result(None)
