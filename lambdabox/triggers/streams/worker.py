"""Batches of one shard (or of one ParallelizationFactor group of a shard), one in flight.

The worker takes records in shard order, closes a batch when it holds BatchSize records,
when MaximumBatchingWindowInSeconds has passed since its first record arrived here, before
the payload would pass 6 MB, or (with TumblingWindowInSeconds) at a window boundary; it
invokes the function and waits for the verdict before the next batch, so records of a shard
are handled in order. On failure the batch is retried: split in two first with
BisectBatchOnFunctionError (splitting does not count as a retry), resumed from the lowest
reported failure with ReportBatchItemFailures, and given up after MaximumRetryAttempts or
once a record is older than MaximumRecordAgeInSeconds, when the OnFailure destination
gets the service's failure record.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import time
from collections.abc import Sequence
from typing import Any

from lambdabox.triggers.streams.invoke import Context, Result, ShardCalls
from lambdabox.triggers.streams.sources import StreamRecord

MAX_PAYLOAD = 6 * 1024 * 1024
RETRY_DELAY_S = 0.5  # between retries of a failed batch (times settings.retry_delay_scale)


class GroupWorker:
    """Runs batches of one shard group until cancelled."""

    def __init__(self, ctx: Context, shard_id: str) -> None:
        self.ctx = ctx
        self.shard_id = shard_id
        self._calls = ShardCalls(ctx, shard_id)
        self._buffer: collections.deque[tuple[StreamRecord, float]] = collections.deque()
        self._wake = asyncio.Event()
        self._busy = False
        self._window: float | None = None  # start of the open tumbling window
        self._state: Any = None

    @property
    def idle(self) -> bool:
        """Nothing buffered, nothing in flight, no tumbling window left to close."""
        return not self._busy and not self._buffer and self._window is None

    def _finished(self, records: Sequence[StreamRecord]) -> None:
        progress = self.ctx.progress.get(self.shard_id)
        if progress is not None and records:
            progress.finished(records)

    @property
    def buffered(self) -> int:
        return len(self._buffer)

    def add(self, records: Sequence[StreamRecord]) -> None:
        now = time.monotonic()
        self._buffer.extend((r, now) for r in records)
        self._wake.set()

    async def _wait(self, timeout: float | None) -> None:
        self._wake.clear()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout)

    async def run(self) -> None:
        while True:
            await self._step()

    async def _step(self) -> None:
        m = self.ctx.mapping
        tumbling = m.tumbling_window_s
        if not self._buffer:
            if self._window is not None:
                left = self._window + tumbling - self.ctx.settings.clock.now()
                if left <= 0:
                    await self._final()
                    return
                await self._wait(left)
                return
            await self._wait(None)
            return
        if len(self._buffer) < m.batch_size and m.window_s > 0:
            left = self._buffer[0][1] + m.window_s - time.monotonic()
            if left > 0:
                await self._wait(left)
                return
        batch = self._take()
        if tumbling:
            start = batch[0].arrival // tumbling * tumbling
            if self._window is not None and start != self._window:
                self._buffer.extendleft((r, 0.0) for r in reversed(batch))
                await self._final()
                return
            self._window = start
        self._busy = True
        try:
            await self._process(batch)
        finally:
            self._busy = False

    def _take(self) -> list[StreamRecord]:
        m = self.ctx.mapping
        batch: list[StreamRecord] = []
        size = 200
        window = None
        while self._buffer and len(batch) < m.batch_size:
            record = self._buffer[0][0]
            if m.tumbling_window_s:
                start = record.arrival // m.tumbling_window_s
                if window is not None and start != window:
                    break
                window = start
            if batch and size + record.size + 1 > MAX_PAYLOAD:
                break
            self._buffer.popleft()
            batch.append(record)
            size += record.size + 1
        return batch

    async def _invoke(self, batch: Sequence[StreamRecord], final: bool = False) -> Result:
        payload = self._calls.payload(batch, self._window, self._state, final)
        return await self._calls.invoke(batch, payload, final)

    async def _process(self, batch: list[StreamRecord]) -> None:
        m = self.ctx.mapping
        pending = [batch]
        invokes = 0
        while pending:
            part = pending[0]
            if m.max_record_age_s >= 0:
                now = self.ctx.settings.clock.now()
                fresh = [r for r in part if now - r.arrival <= m.max_record_age_s]
                if len(fresh) < len(part):
                    old = [r for r in part if r not in fresh]
                    await self._discard(old, "RecordAgeExceeded", None, invokes)
                    self._finished(old)
                    if not fresh:
                        pending.pop(0)
                        invokes = 0
                        continue
                    pending[0] = part = fresh
            result = await self._invoke(part)
            invokes += 1
            verdict = result.verdict
            if verdict is not None and verdict.ok:
                if m.tumbling_window_s:
                    self._state = verdict.state
                self._finished(pending.pop(0))
                invokes = 0
                continue
            if verdict is not None and verdict.retry_from:  # a partial failure: keep the tail
                self._finished(part[: verdict.retry_from])
                pending[0] = part = part[verdict.retry_from :]
            elif m.bisect and len(part) > 1:
                half = len(part) // 2
                pending[0:1] = [part[:half], part[half:]]
                invokes = 0
                continue
            if 0 <= m.max_retries < invokes:
                await self._discard(part, "RetryAttemptsExhausted", result, invokes)
                self._finished(pending.pop(0))
                invokes = 0
                continue
            await asyncio.sleep(RETRY_DELAY_S * self.ctx.settings.retry_delay_scale)

    async def _final(self) -> None:
        """The window's last invocation: no records, `isFinalInvokeForWindow: true`."""
        self._busy = True
        try:
            await self._invoke([], final=True)
        finally:
            self._busy = False
            self._window = None
            self._state = None

    async def _discard(
        self, part: Sequence[StreamRecord], condition: str, result: Result | None, invokes: int
    ) -> None:
        await self._calls.discard(part, condition, result, invokes, self._window, self._state)
