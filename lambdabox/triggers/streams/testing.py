"""pytest helpers for stream mappings: put records, wait until every mapping is idle.

`KinesisHelper(endpoint, triggers)` takes the application's triggers (other kinds are
ignored). `put` writes through the Kinesis API; `wait_idle` returns the batches the
mappings made since the last call, once every shard was read to its end after the call
started and every worker is idle (no batch buffered or in flight, no window open).
`DynamoDBHelper` does the same for tables (`put_item`, `delete_item`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from typing import Any

from lambdabox.triggers.streams.mapping import StreamMappingTrigger
from lambdabox.triggers.streams.records import BatchRecord
from lambdabox.triggers.streams.sources import client

SETTLE_S = 0.05


class _Waiter:
    def __init__(self, triggers: Sequence[object], kind: str) -> None:
        self.mappings = [
            t for t in triggers if isinstance(t, StreamMappingTrigger) and t.mapping.kind == kind
        ]
        self._seen = 0

    def records(self) -> list[BatchRecord]:
        """Every batch so far, in the order they finished."""
        return sorted((r for m in self.mappings for r in m.records), key=lambda r: r.finished)

    def _settled(self, since: float) -> bool:
        for m in self.mappings:
            if not m.mapping.enabled:
                continue
            if not m.caught_up or any(t < since for t in m.caught_up.values()):
                return False
            if not m.idle:
                return False
        return True

    async def wait_idle_async(self, timeout: float = 30.0) -> list[BatchRecord]:
        """Wait until every mapping has read its shards to the end and handled all."""
        since = time.monotonic()
        deadline = since + timeout
        quiet = 0
        while quiet < 2:
            if time.monotonic() > deadline:
                busy = [m.mapping.name for m in self.mappings if not m.idle]
                raise TimeoutError(
                    f"stream mappings not idle after {timeout:g} s (busy: {busy or 'none'})"
                )
            quiet = quiet + 1 if self._settled(since) else 0
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


class KinesisHelper(_Waiter):
    """Put records on the application's Kinesis streams; observe what the mappings did."""

    def __init__(self, endpoint: str | None, triggers: Sequence[object], region: str = "us-east-1"):
        super().__init__(triggers, "kinesis")
        self._client = client("kinesis", endpoint, region)

    def put(self, stream: str, data: bytes | str, partition_key: str = "key") -> tuple[str, str]:
        """PutRecord; returns (shard id, sequence number)."""
        blob = data.encode() if isinstance(data, str) else data
        out = self._client.put_record(StreamName=stream, Data=blob, PartitionKey=partition_key)
        return str(out["ShardId"]), str(out["SequenceNumber"])

    async def put_async(
        self, stream: str, data: bytes | str, partition_key: str = "key"
    ) -> tuple[str, str]:
        """`put` without blocking the event loop."""
        return await asyncio.to_thread(self.put, stream, data, partition_key)


class DynamoDBHelper(_Waiter):
    """Write items to the application's tables; observe what the mappings did."""

    def __init__(self, endpoint: str | None, triggers: Sequence[object], region: str = "us-east-1"):
        super().__init__(triggers, "dynamodb")
        self._client = client("dynamodb", endpoint, region)

    def put_item(self, table: str, item: Mapping[str, Any]) -> None:
        """PutItem with an item in DynamoDB JSON (`{"id": {"S": "1"}}`)."""
        self._client.put_item(TableName=table, Item=dict(item))

    def delete_item(self, table: str, key: Mapping[str, Any]) -> None:
        self._client.delete_item(TableName=table, Key=dict(key))
