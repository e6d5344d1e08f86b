"""Asynchronous (Event) invocation as the Lambda service runs it, for one function.

An accepted event is journalled, then run by a worker when an environment is free
(throttled events wait for one rather than being dropped). A function error (its own
error, a timeout, a crash) is retried up to `MaximumRetryAttempts` times (default 2),
after the service's delays: 1 minute before the second attempt, 2 minutes before the
third, both multiplied by the retry delay scale. An event older than
`MaximumEventAgeInSeconds` (scaled likewise) is not run again. The outcome goes to the
OnSuccess or OnFailure destination as the service's invocation record, and a failed
event to the dead-letter queue; each attempt runs at most once and no event is dropped
without going through that failure handling.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace

from lambdabox.emulator.asyncinvoke.journal import Journal, QueuedEvent
from lambdabox.emulator.asyncinvoke.ports import DeadLetterSink, DestinationSink
from lambdabox.emulator.asyncinvoke.records import InvocationRecord, dead_letter_attributes
from lambdabox.emulator.config import FunctionConfig
from lambdabox.emulator.invocation import Invocation
from lambdabox.emulator.pool import Pool

RETRY_DELAYS_S = (60.0, 120.0)  # before the second and the third attempt
SYSTEM_ERROR_BACKOFF_S = (1.0, 300.0)  # from 1 second, doubling, to 5 minutes
DRAIN_S = 10.0


def _ignore(_line: str) -> None:
    pass


class AsyncInvoker:
    """The asynchronous invocation queue of one function (behind `InvokeAPI.accept_event`)."""

    def __init__(
        self,
        pool: Pool,
        function: FunctionConfig,
        journal: Journal,
        *,
        destinations: DestinationSink | None = None,
        retry_delay_scale: float = 1.0,
        drain_s: float = DRAIN_S,
        warn: Callable[[str], None] = _ignore,
    ) -> None:
        self._pool = pool
        self._function = function
        self._journal = journal
        self._destinations = destinations
        self._scale = retry_delay_scale
        self._drain_s = drain_s
        self._warn = warn
        self._ready: asyncio.Queue[QueuedEvent | None] = asyncio.Queue()
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._running: set[str] = set()
        self._workers: list[asyncio.Task[None]] = []
        self._system_errors: dict[str, int] = {}

    async def accept(self, inv: Invocation) -> None:
        """Journal `inv` (committed before this returns) and queue it."""
        now = time.time()
        event = QueuedEvent(
            request_id=inv.request_id,
            arn=inv.arn,
            payload=inv.payload,
            content_type=inv.content_type,
            client_context=inv.client_context,
            trace_id=inv.trace_id,
            tenant_id=inv.tenant_id,
            accepted_at=now,
            due_at=now,
        )
        self._journal.add(event)
        self._ready.put_nowait(event)

    def start(self, workers: int) -> None:
        """Resume what the journal holds (a restart), then start `workers` workers."""
        for journalled in self._journal.load():
            if journalled.running:  # the emulator stopped during that attempt: it failed
                self._interrupted(journalled)
            else:
                self._schedule(journalled)
        self._workers = [asyncio.ensure_future(self._work()) for _ in range(workers)]

    def _interrupted(self, event: QueuedEvent) -> None:
        """An attempt cut short by a stop counts as a failed attempt (retried when due)."""
        event = replace(event, running=False)
        if event.attempts > self._function.asynchronous.maximum_retry_attempts:
            self._running.add(event.request_id)
            task = asyncio.ensure_future(self._give_up(event, "RetriesExhausted"))
            task.add_done_callback(lambda _t: self._running.discard(event.request_id))
            return
        self._reschedule(replace(event, due_at=time.time() + self._retry_delay(event)))

    def _retry_delay(self, event: QueuedEvent) -> float:
        return RETRY_DELAYS_S[min(event.attempts, len(RETRY_DELAYS_S)) - 1] * self._scale

    async def close(self) -> None:
        """Drain for a bounded time, then stop; whatever is left stays journalled."""
        for timer in self._timers.values():
            timer.cancel()  # retries not yet due stay in the journal
        self._timers.clear()
        deadline = time.monotonic() + self._drain_s
        while (not self._ready.empty() or self._running) and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        for worker in self._workers:
            self._ready.put_nowait(None)
            worker.cancel()
        if self._workers:
            await asyncio.wait(self._workers, timeout=10)
        self._journal.close()

    def _schedule(self, event: QueuedEvent) -> None:
        delay = event.due_at - time.time()
        if delay <= 0:
            self._ready.put_nowait(event)
            return

        def due() -> None:
            self._timers.pop(event.request_id, None)
            self._ready.put_nowait(event)

        self._timers[event.request_id] = asyncio.get_running_loop().call_later(delay, due)

    async def _work(self) -> None:
        while True:
            event = await self._ready.get()
            if event is None:
                return
            self._running.add(event.request_id)
            try:
                await self._attempt(event)
            except Exception as exc:  # never lose the worker; the event stays journalled
                self._warn(f"asynchronous invocation {event.request_id}: {exc!r}")
            finally:
                self._running.discard(event.request_id)

    async def _attempt(self, event: QueuedEvent) -> None:
        config = self._function.asynchronous
        if time.time() - event.accepted_at > config.maximum_event_age_s * self._scale:
            await self._give_up(event, "EventAgeExceeded")
            return
        event = replace(event, attempts=event.attempts + 1, running=True)
        self._journal.update(event)
        inv = Invocation(
            payload=event.payload,
            arn=event.arn,
            timeout_s=self._function.timeout_s,
            content_type=event.content_type,
            client_context=event.client_context,
            trace_id=event.trace_id,
            tenant_id=event.tenant_id,
            request_id=event.request_id,  # retries keep the request id, as on the service
        )
        try:
            outcome = await self._pool.invoke(inv, wait=True)
        except asyncio.CancelledError:
            raise  # stopping: the attempt stays journalled as running
        except Exception as exc:  # a system error, not the function's: back to the queue
            count = self._system_errors.get(event.request_id, 0) + 1
            self._system_errors[event.request_id] = count
            first, cap = SYSTEM_ERROR_BACKOFF_S
            delay = min(cap, first * 2 ** (count - 1)) * self._scale
            self._warn(f"asynchronous invocation {event.request_id} not run ({exc!r}); again")
            event = replace(event, attempts=event.attempts - 1, running=False)
            self._reschedule(replace(event, due_at=time.time() + delay))
            return
        self._system_errors.pop(event.request_id, None)
        event = replace(event, running=False, last_response=outcome.body)
        if not outcome.function_error:
            await self._send(config.on_success, self._record(event, "Success", error=False))
            self._journal.remove(event.request_id)
            return
        if event.attempts <= config.maximum_retry_attempts:
            self._reschedule(replace(event, due_at=time.time() + self._retry_delay(event)))
            return
        await self._give_up(event, "RetriesExhausted")

    def _reschedule(self, event: QueuedEvent) -> None:
        self._journal.update(event)
        self._schedule(event)

    async def _give_up(self, event: QueuedEvent, condition: str) -> None:
        """The event failed for good: OnFailure record, dead-letter message, then forget it."""
        config = self._function.asynchronous
        await self._send(config.on_failure, self._record(event, condition, error=True))
        if config.dead_letter:
            attributes = dead_letter_attributes(event.request_id, event.last_response)
            sink = self._destinations
            if isinstance(sink, DeadLetterSink):
                await self._guarded(
                    config.dead_letter,
                    sink.deliver_dead_letter(config.dead_letter, event.payload, attributes),
                )
            else:
                await self._send(config.dead_letter, event.payload)
        if not (config.on_failure or config.dead_letter):
            self._warn(
                f"asynchronous invocation {event.request_id} failed ({condition}, "
                f"{event.attempts} attempts) and was discarded: no OnFailure destination "
                "or dead-letter queue is configured"
            )
        self._journal.remove(event.request_id)

    def _record(self, event: QueuedEvent, condition: str, *, error: bool) -> bytes:
        arn = event.arn if event.arn.count(":") >= 7 else f"{event.arn}:{self._function.version}"
        return InvocationRecord(
            request_id=event.request_id,
            function_arn=arn,
            condition=condition,
            invoke_count=event.attempts,
            request_payload=event.payload,
            executed_version=self._function.version,
            response_payload=event.last_response,
            function_error=error,
            moment=time.time(),
        ).to_bytes()

    async def _send(self, target: str | None, body: bytes) -> None:
        if not target:
            return
        if self._destinations is None:
            self._warn(f"no destination sink in this emulator: not delivered to {target}")
            return
        await self._guarded(target, self._destinations.deliver(target, body))

    async def _guarded(self, target: str, delivery: Awaitable[None]) -> None:
        try:
            await delivery
        except Exception as exc:
            self._warn(f"asynchronous invocation record not delivered to {target}: {exc!r}")
