"""pytest helpers for RabbitMQ mappings: publish messages, wait until every mapping is idle.

`RabbitHelper(triggers)` takes the application's triggers (other kinds are ignored).
Async tests use `publish_async` / `wait_idle_async` on the application's event loop; sync
tests (the application on a background loop) use `publish` / `wait_idle`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from typing import Any

import aiormq
from pamqp.commands import Basic

from lambdabox.triggers.rabbitmq.consumer import RabbitMQMapping
from lambdabox.triggers.rabbitmq.records import BatchRecord

SETTLE_S = 0.15  # idle twice this far apart counts as idle


def amqp_properties(values: Mapping[str, Any] | None) -> Basic.Properties:
    """AMQP basic properties from snake_case names (`type` is accepted for message_type)."""
    given = dict(values or {})
    if "type" in given:
        given["message_type"] = given.pop("type")
    try:
        return Basic.Properties(**given)
    except TypeError as exc:
        raise ValueError(f"unknown AMQP property in {sorted(given)}: {exc}") from None


async def queue_counts(url: str, queue: str) -> tuple[int, int]:
    """Messages ready in `queue`, and consumers on it (a passive declare: it must exist)."""
    conn = await aiormq.connect(url)
    try:
        channel = await conn.channel()
        ok = await channel.queue_declare(queue, passive=True)
        return ok.message_count or 0, ok.consumer_count or 0
    finally:
        await conn.close()


class RabbitHelper:
    """Publish to the mappings' queues and observe what the mappings did."""

    def __init__(self, triggers: Sequence[object], url: str | None = None) -> None:
        self.mappings = [t for t in triggers if isinstance(t, RabbitMQMapping)]
        self._url = url
        self._seen = 0

    def url(self, vhost: str = "/") -> str:
        """The broker URL (of `vhost`) the mappings use."""
        if self._url is not None:
            return self._url
        for m in self.mappings:
            if m.mapping.vhost == vhost:
                return m.url
        raise LookupError(f"no RabbitMQ mapping on vhost {vhost!r}")

    async def publish_async(
        self,
        queue: str,
        body: bytes | str,
        properties: Mapping[str, Any] | None = None,
        *,
        vhost: str = "/",
    ) -> None:
        """Publish one message to `queue` through the default exchange (aiormq, the
        publisher, sets a random `message_id` when `properties` give none)."""
        data = body.encode() if isinstance(body, str) else body
        conn = await aiormq.connect(self.url(vhost))
        try:
            channel = await conn.channel(publisher_confirms=True)
            props = amqp_properties(properties)
            await channel.basic_publish(data, routing_key=queue, properties=props)
        finally:
            await conn.close()

    def publish(
        self,
        queue: str,
        body: bytes | str,
        properties: Mapping[str, Any] | None = None,
        *,
        vhost: str = "/",
    ) -> None:
        """`publish_async` from synchronous code."""
        asyncio.run(self.publish_async(queue, body, properties, vhost=vhost))

    def records(self) -> list[BatchRecord]:
        """Every batch so far, in the order they finished."""
        return sorted((r for m in self.mappings for r in m.records), key=lambda r: r.finished)

    async def _ready(self) -> int:
        total = 0
        for m in self.mappings:
            if not m.mapping.enabled:
                continue
            total += (await queue_counts(m.url, m.mapping.queue))[0]
        return total

    async def wait_idle_async(self, timeout: float = 30.0) -> list[BatchRecord]:
        """Wait until no queue holds a ready message and no mapping has one in hand; return
        the batches made since the last call (their events, outcomes and durations)."""
        deadline = time.monotonic() + timeout
        quiet = 0
        while quiet < 2:
            if time.monotonic() > deadline:
                busy = [m.mapping.key for m in self.mappings if not m.idle]
                raise TimeoutError(
                    f"RabbitMQ mappings not idle after {timeout:g} s "
                    f"(busy: {busy or 'none'}; ready messages: {await self._ready()})"
                )
            idle = all(m.idle for m in self.mappings) and await self._ready() == 0
            quiet = quiet + 1 if idle else 0
            await asyncio.sleep(SETTLE_S)
        return self.records_since_last()

    def records_since_last(self) -> list[BatchRecord]:
        """The batches finished since the last call."""
        done = self.records()
        new, self._seen = done[self._seen :], len(done)
        return new

    def wait_idle(self, timeout: float = 30.0) -> list[BatchRecord]:
        """`wait_idle_async` from synchronous code (the mappings run on another loop)."""
        return asyncio.run(self.wait_idle_async(timeout))
