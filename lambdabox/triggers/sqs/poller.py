"""The SQS event source mapping: pollers that gather batches, invoke, and delete on success.

Each poller holds at most one batch, so the number of pollers is the number of concurrent
batches: `ScalingConfig.MaximumConcurrency` when set, else as many as the function has
environments (the service ramps up to that over a minute; locally it starts there), never
more than the function has environments; five when the invoker cannot tell.

A poller long-polls for a first message, then keeps receiving until the batch is full, its
batching window has run out or its JSON would pass 6 MB. Records that no `FilterCriteria`
pattern matches are deleted without an invocation. After the invocation, the messages the
verdict does not keep are deleted (DeleteMessageBatch); kept messages become visible again
when their visibility timeout ends, so the queue's redrive policy moves a message that keeps
failing to its dead-letter queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence
from typing import Any

from lambdabox.triggers.ports import AppSettings, FunctionInvoker, TriggerLine, UnknownFunction
from lambdabox.triggers.sqs import history
from lambdabox.triggers.sqs.client import LOOPBACK
from lambdabox.triggers.sqs.declarations import SqsMappingSpec
from lambdabox.triggers.sqs.queue_io import QueueIO
from lambdabox.triggers.sqs.records import (
    ENVELOPE_BYTES,
    MAX_BATCH_BYTES,
    event_of,
    record_size,
    to_record,
)
from lambdabox.triggers.sqs.responses import BatchVerdict, judge

DEFAULT_POLLERS = 5  # the service starts a standard-queue mapping with five concurrent batches
LONG_POLL_S = 20  # ReceiveMessage's longest wait
IDLE_SLEEP_S = 0.05  # between short polls inside a batching window


def environments_of(invoker: FunctionInvoker, function: str) -> int | None:
    """How many environments the function may run at once (None: the invoker cannot tell)."""
    try:
        return max(1, int(invoker.function_concurrency(function)))
    except UnknownFunction:
        return None  # start() names the missing function


class SqsMapping:
    """One SQS event source mapping (a `Trigger`)."""

    def __init__(
        self,
        spec: SqsMappingSpec,
        invoker: FunctionInvoker,
        settings: AppSettings,
        endpoint: str | None,
    ) -> None:
        self.spec = spec
        self.history = history.History()
        self._invoker = invoker
        self._settings = settings
        envs = environments_of(invoker, spec.function)
        cap = spec.max_concurrency or envs or DEFAULT_POLLERS
        self.pollers = max(1, min(cap, envs) if envs else cap)
        self._io = QueueIO(endpoint, spec.queue, self.pollers + 1)
        self._tasks: list[asyncio.Task[None]] = []
        self._gathering: set[asyncio.Task[Any]] = set()
        self._stopping = False
        host = (endpoint or "").split("://")[-1].split(":")[0]
        # moto spins on a long poll while a FIFO group is blocked: poll such queues briefly.
        self._short_polls = spec.queue.fifo and host in LOOPBACK

    @property
    def queue_url(self) -> str:
        return self._io.url

    def describe(self) -> Sequence[TriggerLine]:
        s = self.spec
        text = f"sqs {s.queue.name} -> {s.function} (batch {s.batch_size}, window {s.window_s:g} s)"
        if not s.enabled:
            text += " disabled"
        detail = {
            "queue": str(s.queue),
            "batch_size": s.batch_size,
            "window_s": s.window_s,
            "report_batch_item_failures": s.report_failures,
            "filters": len(s.filters.patterns),
            "max_concurrency": s.max_concurrency,
            "concurrent_batches": self.pollers,
            "enabled": s.enabled,
            "source": s.source,
        }
        return [TriggerLine("sqs", s.function, text, detail)]

    async def start(self) -> None:
        if not self.spec.enabled:
            return
        self._invoker.function_arn(self.spec.function)  # UnknownFunction before any polling
        await self._io.open(self.pollers + 1)
        self._tasks = [asyncio.create_task(self._poll()) for _ in range(self.pollers)]
        history.register(self)

    async def close(self) -> None:
        """Stop polling: batches being gathered go back to the queue, running ones finish."""
        self._stopping = True
        self._io.closing = True
        for task in list(self._gathering):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        history.unregister(self)
        self._io.shutdown()

    async def _poll(self) -> None:
        carry: list[dict[str, Any]] = []
        while not self._stopping:
            gather = asyncio.create_task(self._gather(carry))
            self._gathering.add(gather)
            try:
                records, carry = await gather
            except asyncio.CancelledError:
                if not self._stopping:
                    raise
                return
            except Exception as exc:  # endpoint trouble: say so, back off, go on
                self._settings.notes(f"sqs {self.spec.queue.name}: receive failed: {exc}")
                await asyncio.sleep(1.0)
                continue
            finally:
                self._gathering.discard(gather)
            if records:
                self.history.busy += 1
                try:
                    await self._process(records)
                except Exception as exc:  # the delete failed: the messages come back later
                    self._settings.notes(f"sqs {self.spec.queue.name}: delete failed: {exc}")
                finally:
                    self.history.busy -= 1
        if carry:  # received beyond the last batch: hand them back rather than let them wait
            with contextlib.suppress(Exception):
                await self._io.release([m["ReceiptHandle"] for m in carry])

    async def _gather(
        self, carry: list[dict[str, Any]]
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """One batch (records) and the messages received beyond it (for the next batch)."""
        spec = self.spec
        records: list[dict[str, Any]] = []
        pending = list(carry)
        dropped: list[dict[str, Any]] = []
        size = ENVELOPE_BYTES
        deadline = 0.0
        try:
            while True:
                if not pending:
                    left = deadline - time.monotonic()
                    if records and (spec.window_s == 0 or left <= 0):
                        break
                    wait = LONG_POLL_S if not records else int(left)
                    if self._short_polls:
                        wait = 0
                    pending = await self._io.receive(spec.batch_size - len(records), wait)
                    if not pending:
                        if records and spec.window_s == 0:
                            break
                        if self._short_polls or records:
                            await asyncio.sleep(
                                IDLE_SLEEP_S if not records else min(IDLE_SLEEP_S, max(left, 0))
                            )
                        continue
                message = pending.pop(0)
                record = to_record(message, spec.queue)
                if spec.filters and not spec.filters.matches(record, "body"):
                    dropped.append(record)
                    continue
                added = record_size(record)
                if records and size + added > MAX_BATCH_BYTES:
                    pending.insert(0, message)
                    break
                records.append(record)
                size += added
                if len(records) == 1:
                    deadline = time.monotonic() + spec.window_s
                if len(records) >= spec.batch_size:
                    break
        except asyncio.CancelledError:
            handles = [r["receiptHandle"] for r in records] + [m["ReceiptHandle"] for m in pending]
            with contextlib.suppress(Exception):
                await asyncio.shield(self._io.release(handles))
            raise
        finally:
            if dropped:
                await self._drop(dropped)
        return records, pending

    async def _drop(self, records: list[dict[str, Any]]) -> None:
        """Filtered-out messages are deleted, as the service does."""
        await self._io.delete([r["receiptHandle"] for r in records])
        self.history.add_filtered([r["messageId"] for r in records])

    async def _process(self, records: list[dict[str, Any]]) -> None:
        spec = self.spec
        ids = [r["messageId"] for r in records]
        started = time.monotonic()
        request_id = ""
        try:
            answer = await self._invoker.invoke(spec.function, event_of(records), wait=True)
            request_id = answer.request_id
            out = answer.outcome
            verdict = judge(out.body, out.function_error, ids, spec.report_failures)
        except Exception as exc:
            verdict = BatchVerdict("failure", frozenset(ids), f"invoke failed: {exc}")
        done = [r["receiptHandle"] for r in records if r["messageId"] not in verdict.keep]
        errors = await self._io.delete(done)
        ms = (time.monotonic() - started) * 1000
        self.history.add(
            history.BatchRecord(
                source=spec.source,
                function=spec.function,
                queue_arn=str(spec.queue),
                records=tuple(records),
                outcome=verdict.kind,
                failed_ids=verdict.keep,
                reason=verdict.reason,
                request_id=request_id,
                duration_ms=ms,
            )
        )
        self._note(len(records), verdict, ms, errors)

    def _note(self, count: int, verdict: BatchVerdict, ms: float, errors: list[str]) -> None:
        outcome = verdict.kind
        if verdict.kind == "partial":
            outcome = f"partial ({len(verdict.keep)} of {count} kept for retry)"
        elif verdict.reason:
            outcome += f" ({verdict.reason}; messages retried after their visibility timeout)"
        line = (
            f"sqs {self.spec.queue.name} -> {self.spec.function}: {count} "
            f"record{'s' if count != 1 else ''}, {outcome}, "
            f"{ms:.1f} ms"
        )
        if errors:
            line += (
                f"; {len(errors)} not deleted ({errors[0]}: the function outlasted the "
                "queue's VisibilityTimeout, raise it to 6x the function timeout)"
            )
        self._settings.notes(line)

    async def counts(self) -> dict[str, int]:
        return await self._io.counts()
