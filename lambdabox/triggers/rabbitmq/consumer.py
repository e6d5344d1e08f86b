"""One RabbitMQ queue -> function mapping, running: consume, batch, invoke, ack or requeue.

The mapping consumes with manual acknowledgement and a prefetch of one batch, so at most one
batch per queue is in flight. A batch closes when it holds BatchSize messages, when the
batching window since its first message ends, or before the payload would pass 6 MB. After
the function succeeds the batch is acknowledged; after any failure (function error, timeout,
crash, invoke refused) the whole batch is requeued (`basic.nack`, `requeue=true`), so the
broker redelivers it with `redelivered` set and its own dead-lettering (e.g. a quorum
queue's `x-delivery-limit`) decides when a message gives up. Nothing is acknowledged
before a success: messages of a mapping that dies are requeued by the broker.

With `FilterCriteria`, each delivered message is matched on `data` (its body read as UTF-8;
a JSON object body is matched as an object, any other body as a string; a body that is not
UTF-8 matches no `data` pattern) before it joins a batch; a message no filter matches is
acknowledged at once and never reaches the function, as the service discards it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence
from dataclasses import dataclass

import aiormq
from aiormq.abc import DeliveredMessage

from lambdabox.triggers.ports import AppSettings, FunctionInvoker, TriggerLine
from lambdabox.triggers.rabbitmq import event
from lambdabox.triggers.rabbitmq.broker import Broker, vhost_url
from lambdabox.triggers.rabbitmq.config import MqMapping
from lambdabox.triggers.rabbitmq.errors import BrokerError
from lambdabox.triggers.rabbitmq.records import BatchRecord, error_type

RETRY_DELAY_S = 1.0  # before a failed batch is requeued (times settings.retry_delay_scale)


@dataclass(frozen=True)
class _Pending:
    tag: int
    record: bytes  # the message's JSON record, encoded at delivery


def _passes(mapping: MqMapping, body: bytes) -> bool:
    """Whether a message's body passes the mapping's FilterCriteria (on `data`)."""
    try:
        text: str | None = body.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    return mapping.criteria.matches({"data": text}, payload_key="data")


class RabbitMQMapping:
    """A running `MQ` event source mapping (the `Trigger` protocol)."""

    def __init__(
        self, mapping: MqMapping, invoker: FunctionInvoker, settings: AppSettings, broker: Broker
    ) -> None:
        self.mapping = mapping
        self._invoker = invoker
        self._settings = settings
        self._broker = broker
        self._inbox: asyncio.Queue[_Pending] = asyncio.Queue()
        self._carry: _Pending | None = None
        self._busy = False
        self._conn: aiormq.abc.AbstractConnection | None = None
        self._channel: aiormq.abc.AbstractChannel | None = None
        self._task: asyncio.Task[None] | None = None
        self.records: list[BatchRecord] = []
        self.filtered = 0  # messages acknowledged without an invocation (FilterCriteria)

    def describe(self) -> Sequence[TriggerLine]:
        m = self.mapping
        state = "" if m.enabled else ", disabled"
        text = (
            f"rabbitmq {m.key} -> {m.function} "
            f"(batch {m.batch_size}, window {m.window_s:g} s{state})"
        )
        detail = {
            "queue": m.queue,
            "vhost": m.vhost,
            "broker": m.broker_arn,
            "batch_size": m.batch_size,
            "window_s": m.window_s,
            "enabled": m.enabled,
            "filters": len(m.criteria.patterns),
        }
        return [TriggerLine("rabbitmq", m.function, text, detail)]

    @property
    def url(self) -> str:
        """The broker URL of this mapping's virtual host (once started)."""
        return vhost_url(self._broker.url, self.mapping.vhost)

    @property
    def idle(self) -> bool:
        """No message delivered to the mapping is waiting or being handled."""
        return not self._busy and self._carry is None and self._inbox.empty()

    async def start(self) -> None:
        if not self.mapping.enabled:
            return
        await self._broker.acquire()
        try:
            await self._connect()
        except BaseException:
            await self._disconnect()
            await self._broker.release()
            raise
        self._task = asyncio.create_task(self._batches(), name=f"rabbitmq {self.mapping.key}")
        self._task.add_done_callback(self._stopped)

    def _stopped(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            self._busy = False
            self._settings.notes(
                f"rabbitmq {self.mapping.key} -> {self.mapping.function}: stopped: "
                f"{task.exception()!r} (its unacknowledged messages return to the queue)"
            )

    async def close(self) -> None:
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
        await self._disconnect()  # unacknowledged messages go back to the queue
        await self._broker.release()

    async def _connect(self) -> None:
        m = self.mapping
        try:
            self._conn = await aiormq.connect(self.url)
        except (OSError, aiormq.exceptions.AMQPError) as exc:
            raise BrokerError(
                f"{m.name}: cannot connect to RabbitMQ vhost {m.vhost!r} at {self._broker.url} "
                f"({exc}); check --rabbitmq-url and that the vhost exists"
            ) from None
        await self._ensure_queue()
        self._channel = await self._conn.channel()
        await self._channel.basic_qos(prefetch_count=m.batch_size)
        await self._channel.basic_consume(m.queue, self._on_message, no_ack=False)

    async def _ensure_queue(self) -> None:
        assert self._conn is not None
        m = self.mapping
        channel = await self._conn.channel()
        try:
            await channel.queue_declare(m.queue, passive=True)
        except aiormq.exceptions.ChannelNotFoundEntity:
            if not self._broker.local:
                raise BrokerError(
                    f"{m.name}: queue {m.queue!r} does not exist on vhost {m.vhost!r}: declare "
                    "it on the broker (event source mappings do not create queues)"
                ) from None
            channel = await self._conn.channel()
            await channel.queue_declare(m.queue, durable=True)
            self._settings.notes(f"rabbitmq: declared queue {m.key} on the local broker")
        await channel.close()

    async def _disconnect(self) -> None:
        conn, self._conn, self._channel = self._conn, None, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close()

    async def _on_message(self, message: DeliveredMessage) -> None:
        tag = message.delivery_tag
        assert tag is not None
        if self.mapping.criteria and not _passes(self.mapping, message.body):
            self.filtered += 1
            await message.channel.basic_ack(tag)
            return
        self._inbox.put_nowait(_Pending(tag, event.encode(event.record(message))))

    async def _batches(self) -> None:
        while True:
            batch = await self._gather()
            self._busy = True
            try:
                await self._handle(batch)
            finally:
                self._busy = False

    async def _gather(self) -> list[_Pending]:
        """Wait for a first message, then fill the batch until full, window end, or 6 MB."""
        first = self._carry or await self._inbox.get()
        self._carry = None
        self._busy = True
        batch, size = [first], event.EMPTY_EVENT_SIZE + len(first.record)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.mapping.window_s
        while len(batch) < self.mapping.batch_size:
            try:
                if self._inbox.empty() and deadline > loop.time():
                    item = await asyncio.wait_for(self._inbox.get(), deadline - loop.time())
                else:
                    item = self._inbox.get_nowait()
            except (asyncio.QueueEmpty, asyncio.TimeoutError):
                break
            if size + len(item.record) + 1 > event.MAX_PAYLOAD:
                self._carry = item
                break
            batch.append(item)
            size += len(item.record) + 1
        return batch

    async def _handle(self, batch: list[_Pending]) -> None:
        m = self.mapping
        payload = event.event(m.broker_arn, m.key, [p.record for p in batch])
        started = time.monotonic()
        request_id, kind = "", None
        try:
            answer = await self._invoker.invoke(m.function, payload, wait=True)
            request_id, response = answer.request_id, answer.outcome.body
            ok = not answer.outcome.function_error
            kind = None if ok else error_type(response) or "Unhandled"
        except Exception as exc:  # the invoke itself failed: the batch is retried
            ok, response, kind = False, str(exc).encode(), type(exc).__name__
        took = time.monotonic() - started
        rec = BatchRecord(
            m.key,
            m.function,
            request_id,
            payload,
            len(batch),
            ok,
            kind,
            response,
            took,
            time.time(),
        )
        self.records.append(rec)
        self._settings.notes(
            f"rabbitmq {m.key} -> {m.function}: {len(batch)} messages, {rec.outcome}, "
            f"{took * 1000:.1f} ms"
        )
        assert self._channel is not None
        if ok:
            await self._channel.basic_ack(batch[-1].tag, multiple=True)
        else:
            await asyncio.sleep(RETRY_DELAY_S * self._settings.retry_delay_scale)
            await self._channel.basic_nack(batch[-1].tag, multiple=True, requeue=True)
