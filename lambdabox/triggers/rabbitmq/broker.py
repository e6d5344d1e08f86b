"""Where the mappings' broker is: the URL the user gave, or a local rabbitmq-server started
on first use and stopped when the last mapping closes."""

from __future__ import annotations

import asyncio
import urllib.parse

from lambdabox.services.moto_server import ServiceError
from lambdabox.services.rabbitmq import RabbitMQServer
from lambdabox.triggers.rabbitmq.errors import BrokerError


def vhost_url(url: str, vhost: str) -> str:
    """`url` with its virtual host replaced by `vhost` (percent-encoded, so `/` is `%2F`)."""
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path="/" + urllib.parse.quote(vhost, safe="")))


class Broker:
    """The broker every RabbitMQ mapping of one application uses."""

    def __init__(self, url: str | None) -> None:
        self._given = url
        self._server: RabbitMQServer | None = None
        self._users = 0
        self._lock = asyncio.Lock()
        self.url = url or ""

    @property
    def local(self) -> bool:
        """True when lambdabox runs this broker itself (queues are then declared on demand)."""
        return self._given is None

    async def acquire(self) -> str:
        """The broker URL (vhost `/`), starting the local broker if it is the first use."""
        async with self._lock:
            if self._given is None and self._server is None:
                server = RabbitMQServer()
                try:
                    await asyncio.to_thread(server.start)
                except ServiceError as exc:
                    raise BrokerError(str(exc)) from None
                self._server = server
                self.url = server.url
            self._users += 1
            return self.url

    async def release(self) -> None:
        async with self._lock:
            self._users -= 1
            if self._users <= 0 and self._server is not None:
                server, self._server = self._server, None
                await asyncio.to_thread(server.stop)
