"""One Kinesis or DynamoDB stream -> function mapping, running: a reader per shard feeding
one worker per shard (or ParallelizationFactor workers, records split by partition key)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import time
import uuid
import zlib
from collections.abc import Mapping, Sequence
from typing import Any

from lambdabox.triggers.filters import FilterCriteria, FilterError, compile_criteria
from lambdabox.triggers.ports import AppSettings, FunctionInvoker, TriggerLine
from lambdabox.triggers.streams.checkpoints import CheckpointStore, ShardProgress
from lambdabox.triggers.streams.config import StreamMapping
from lambdabox.triggers.streams.errors import SourceError
from lambdabox.triggers.streams.failure import Sink
from lambdabox.triggers.streams.invoke import Context
from lambdabox.triggers.streams.records import BatchRecord
from lambdabox.triggers.streams.sources import Source, StreamRecord
from lambdabox.triggers.streams.worker import GroupWorker

POLL_S = 0.1  # between GetRecords calls on a shard with nothing new (the service: 1 s)
READ_LIMIT = 1000
BACKLOG = 10_000  # records buffered per shard before its reader waits


def _passes_filters(criteria: FilterCriteria, record: Mapping[str, Any]) -> bool:
    """Whether a stream record reaches the function (FilterCriteria, as the service applies
    them: Kinesis patterns look at the `kinesis` fields, `data` decoded from base64 and read
    as JSON when it is; DynamoDB patterns look at the whole record)."""
    if not criteria:
        return True
    kinesis = record.get("kinesis")
    if isinstance(kinesis, Mapping):
        view = dict(kinesis)
        try:
            view["data"] = base64.b64decode(str(kinesis.get("data", ""))).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            view["data"] = None
        return criteria.matches(view, payload_key="data")
    return criteria.matches(record)


class StreamMappingTrigger:
    """A running `Kinesis` / `DynamoDB` event source mapping (the `Trigger` protocol)."""

    def __init__(
        self,
        mapping: StreamMapping,
        invoker: FunctionInvoker,
        settings: AppSettings,
        role_arn: str,
    ) -> None:
        self._criteria = FilterCriteria()
        self.mapping = mapping
        self._invoker = invoker
        self._settings = settings
        endpoint = settings.extra.get("aws_endpoint")
        self._endpoint = str(endpoint) if endpoint else None
        self._source = Source(mapping, self._endpoint, settings.region, role_arn)
        self._tasks: list[asyncio.Task[None]] = []
        self.workers: list[GroupWorker] = []
        self.records: list[BatchRecord] = []
        self.progress: dict[str, ShardProgress] = {}
        self._store: CheckpointStore | None = None
        # Per shard: when the last GetRecords that found nothing started (monotonic).
        self.caught_up: dict[str, float] = {}

    @property
    def uuid(self) -> str:
        """The mapping's UUID (stable for its declaration, source and function)."""
        m = self.mapping
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{m.name} {m.source_arn} {m.function}"))

    def describe(self) -> Sequence[TriggerLine]:
        m = self.mapping
        extras = ""
        if m.parallelization > 1:
            extras += f", parallel {m.parallelization}"
        if m.tumbling_window_s:
            extras += f", tumbling {m.tumbling_window_s} s"
        if not m.enabled:
            extras += ", disabled"
        text = (
            f"{m.kind} {m.source_name} -> {m.function} (batch {m.batch_size}, window "
            f"{m.window_s:g} s, start {m.starting_position}{extras})"
        )
        detail = {
            "source": m.source_arn,
            "batch_size": m.batch_size,
            "window_s": m.window_s,
            "starting_position": m.starting_position,
            "parallelization": m.parallelization,
            "tumbling_window_s": m.tumbling_window_s,
            "on_failure": m.on_failure,
            "enabled": m.enabled,
        }
        return [TriggerLine(m.kind, m.function, text, detail)]

    @property
    def idle(self) -> bool:
        return all(w.idle for w in self.workers)

    async def start(self) -> None:
        m = self.mapping
        if not m.enabled:
            return
        try:
            self._criteria = compile_criteria(
                {"Filters": list(m.filters)}, f"{m.name}.FilterCriteria"
            )
        except FilterError as exc:
            raise SourceError(str(exc)) from None
        await self._source.resolve()
        shards = await self._source.shards()
        sink = Sink(self._endpoint, self._settings.region, self.uuid) if m.on_failure else None
        ctx = Context(m, self._source.arn, self._invoker, self._settings, sink, self.records)
        ctx.progress = self.progress
        if self._settings.state_dir is not None:
            key = f"{await self._source.identity()} {m.function}"
            self._store = CheckpointStore(self._settings.state_dir, key)
        try:
            for shard_id in shards:
                group = [GroupWorker(ctx, shard_id) for _ in range(m.parallelization)]
                self.workers += group
                progress = self.progress[shard_id] = ShardProgress(shard_id, self._store)
                iterator = await self._resume(progress)
                self._spawn(
                    self._read(shard_id, iterator, group, progress.checkpoint), f"read {shard_id}"
                )
                for worker in group:
                    self._spawn(worker.run(), f"batches {shard_id}")
        except BaseException:
            await self.close()  # no reader left behind, the checkpoint store closed
            raise

    def _spawn(self, coro: Any, what: str) -> None:
        task = asyncio.create_task(
            coro, name=f"{self.mapping.kind} {self.mapping.source_name} {what}"
        )
        task.add_done_callback(self._stopped)
        self._tasks.append(task)

    def _stopped(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            self._settings.notes(f"{task.get_name()}: stopped: {task.exception()!r}")

    async def _resume(self, progress: ShardProgress) -> str:
        """The shard's iterator: after its checkpoint when one was kept, else at the
        mapping's StartingPosition (also when the stream no longer has that record)."""
        m, shard_id = self.mapping, progress.shard
        if progress.checkpoint is None:
            return await self._source.iterator(shard_id)
        try:
            iterator = await self._source.iterator(shard_id, after=progress.checkpoint)
        except SourceError as exc:
            self._settings.notes(
                f"{m.kind} {m.source_name} {shard_id}: checkpoint {progress.checkpoint} "
                f"unusable ({exc}); reading from {m.starting_position}"
            )
            if self._store is not None:
                self._store.forget(shard_id)
            progress.checkpoint = None
            return await self._source.iterator(shard_id)
        self._settings.notes(
            f"{m.kind} {m.source_name} {shard_id}: resuming after checkpoint {progress.checkpoint}"
        )
        return iterator

    async def close(self) -> None:
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        store, self._store = self._store, None
        if store is not None:
            store.close()

    async def _read(
        self, shard_id: str, iterator: str, group: list[GroupWorker], last: str | None
    ) -> None:
        progress = self.progress[shard_id]
        while True:
            started = time.monotonic()
            try:
                records, following = await self._source.read(shard_id, iterator, READ_LIMIT)
            except SourceError as exc:  # e.g. an expired iterator: resume after the last read
                self._settings.notes(f"{exc}; reopening shard {shard_id}")
                await asyncio.sleep(1.0)
                iterator = await self._source.iterator(shard_id, after=last)
                continue
            if records:
                last = records[-1].sequence
                progress.read(records)
                passed = [r for r in records if _passes_filters(self._criteria, r.record)]
                self._dispatch(passed, group)
                if len(passed) < len(records):  # filtered out: finished without an invocation
                    kept = {r.sequence for r in passed}
                    progress.finished([r for r in records if r.sequence not in kept])
            else:
                self.caught_up[shard_id] = started
            if following is None:
                return  # the shard is closed and read to its end
            iterator = following
            if not records:
                await asyncio.sleep(POLL_S)
            while sum(w.buffered for w in group) > BACKLOG:
                await asyncio.sleep(POLL_S)

    @staticmethod
    def _dispatch(records: Sequence[StreamRecord], group: list[GroupWorker]) -> None:
        if len(group) == 1:
            group[0].add(records)
            return
        parts: list[list[StreamRecord]] = [[] for _ in group]
        for r in records:
            parts[zlib.crc32(r.group_key.encode()) % len(group)].append(r)
        for worker, part in zip(group, parts):
            if part:
                worker.add(part)
