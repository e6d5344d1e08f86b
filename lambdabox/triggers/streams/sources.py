"""Reading Kinesis and DynamoDB streams through their APIs (boto3), as event records.

Each source lists its shards, opens a shard iterator at the mapping's starting position and
turns GetRecords results into the records Lambda puts in `Records` (shapes from the Lambda
developer guide's example events), with what the mapping needs beside them: the sequence
number, the arrival time, and the key that picks a ParallelizationFactor group.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
import os
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import boto3
import botocore.exceptions
from botocore.config import Config

from lambdabox.triggers.streams.config import StreamMapping
from lambdabox.triggers.streams.errors import SourceError


@dataclass(frozen=True)
class StreamRecord:
    """One record of a shard, ready for an event."""

    shard_id: str
    sequence: str
    arrival: float  # seconds since the epoch
    group_key: str  # partition key (Kinesis) or item keys (DynamoDB)
    record: Mapping[str, Any]  # the record as the function sees it
    size: int  # bytes of its JSON

    @property
    def seq(self) -> int:
        return int(self.sequence)


def client(service: str, endpoint: str | None, region: str) -> Any:
    """A boto3 client on `endpoint`. A loopback endpoint (moto, LocalStack) gets placeholder
    credentials unless the environment has some, so no credential chain (e.g. the instance
    metadata service) is consulted for a local run."""
    session = boto3.session.Session()
    extra: dict[str, str] = {}
    host = urllib.parse.urlsplit(endpoint).hostname if endpoint else None
    local = host in ("127.0.0.1", "localhost", "::1")
    if local and not os.environ.get("AWS_ACCESS_KEY_ID"):
        extra = {"aws_access_key_id": "lambdabox", "aws_secret_access_key": "lambdabox"}
    config = Config(retries={"max_attempts": 2, "mode": "standard"})
    return session.client(
        service, endpoint_url=endpoint, region_name=region, config=config, **extra
    )


def _epoch(value: Any) -> float:
    return value.timestamp() if isinstance(value, dt.datetime) else float(value)


def _wire(value: Any) -> Any:
    """DynamoDB attribute values as on the wire: binary values base64, the rest unchanged."""
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, Mapping):
        return {k: _wire(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_wire(v) for v in value]
    return value


def _size(record: Mapping[str, Any]) -> int:
    return len(json.dumps(record, separators=(",", ":")))


class Source:
    """A stream's shards and records (Kinesis or DynamoDB Streams), through boto3."""

    def __init__(self, mapping: StreamMapping, endpoint: str | None, region: str, role_arn: str):
        self.mapping = mapping
        self.region = region
        self.role_arn = role_arn
        self.arn = mapping.source_arn
        service = "kinesis" if mapping.kind == "kinesis" else "dynamodbstreams"
        self._client = client(service, endpoint, region)
        self._ddb = client("dynamodb", endpoint, region) if mapping.kind == "dynamodb" else None

    async def call(self, method: str, **kwargs: Any) -> Any:
        try:
            return await asyncio.to_thread(getattr(self._client, method), **kwargs)
        except botocore.exceptions.ClientError as exc:
            raise SourceError(
                f"{self.mapping.name}: {method} on {self.arn} failed: {exc}"
            ) from None
        except botocore.exceptions.BotoCoreError as exc:
            raise SourceError(f"{self.mapping.name}: {method} failed: {exc}") from None

    async def resolve(self) -> None:
        """Find the stream: a DynamoDB table's stream label is only known once it exists."""
        if self._ddb is None:
            return
        table = self.mapping.source_name
        try:
            desc = await asyncio.to_thread(self._ddb.describe_table, TableName=table)
        except botocore.exceptions.ClientError as exc:
            raise SourceError(
                f"{self.mapping.name}: table {table!r} not found ({exc}); declare it in the "
                "template (AWS::DynamoDB::Table with StreamSpecification) or create it"
            ) from None
        latest = desc["Table"].get("LatestStreamArn")
        if not latest:
            raise SourceError(
                f"{self.mapping.name}: table {table!r} has no stream: give it a "
                "StreamSpecification (StreamViewType: NEW_AND_OLD_IMAGES)"
            )
        self.arn = latest

    async def identity(self) -> str:
        """This incarnation of the stream: its ARN, and for Kinesis its creation time (a
        stream deleted and created again restarts its sequence numbers; a DynamoDB table's
        new stream gets a new label in its ARN). Checkpoints are kept under it."""
        if self.mapping.kind != "kinesis":
            return self.arn
        out = await self.call("describe_stream_summary", StreamName=self.mapping.source_name)
        created = out["StreamDescriptionSummary"].get("StreamCreationTimestamp")
        return f"{self.arn}@{_epoch(created) if created is not None else ''}"

    async def shards(self) -> list[str]:
        if self.mapping.kind == "kinesis":
            out = await self.call("list_shards", StreamName=self.mapping.source_name)
            return [s["ShardId"] for s in out["Shards"]]
        out = await self.call("describe_stream", StreamArn=self.arn)
        return [s["ShardId"] for s in out["StreamDescription"]["Shards"]]

    async def iterator(self, shard_id: str, after: str | None = None) -> str:
        """An iterator at the starting position, or just after `after` when resuming."""
        m = self.mapping
        args: dict[str, Any] = {"ShardId": shard_id}
        if after is not None:
            args.update(ShardIteratorType="AFTER_SEQUENCE_NUMBER", StartingSequenceNumber=after)
        else:
            args["ShardIteratorType"] = m.starting_position
            if m.starting_position == "AT_TIMESTAMP" and m.starting_timestamp is not None:
                args["Timestamp"] = dt.datetime.fromtimestamp(m.starting_timestamp, dt.timezone.utc)
        if m.kind == "kinesis":
            args["StreamName"] = m.source_name
        else:
            args["StreamArn"] = self.arn
        out = await self.call("get_shard_iterator", **args)
        return str(out["ShardIterator"])

    async def read(
        self, shard_id: str, iterator: str, limit: int
    ) -> tuple[list[StreamRecord], str | None]:
        """One GetRecords call: the records and the next iterator (None once the shard ends)."""
        out = await self.call("get_records", ShardIterator=iterator, Limit=min(limit, 10_000))
        convert = self._kinesis if self.mapping.kind == "kinesis" else self._dynamodb
        return [convert(shard_id, r) for r in out.get("Records", [])], out.get("NextShardIterator")

    def _kinesis(self, shard_id: str, r: Mapping[str, Any]) -> StreamRecord:
        arrival = _epoch(r["ApproximateArrivalTimestamp"])
        record = {
            "kinesis": {
                "kinesisSchemaVersion": "1.0",
                "partitionKey": r["PartitionKey"],
                "sequenceNumber": r["SequenceNumber"],
                "data": base64.b64encode(r["Data"]).decode("ascii"),
                "approximateArrivalTimestamp": round(arrival, 3),
            },
            "eventSource": "aws:kinesis",
            "eventVersion": "1.0",
            "eventID": f"{shard_id}:{r['SequenceNumber']}",
            "eventName": "aws:kinesis:record",
            "invokeIdentityArn": self.role_arn,
            "awsRegion": self.region,
            "eventSourceARN": self.arn,
        }
        return StreamRecord(
            shard_id, r["SequenceNumber"], arrival, r["PartitionKey"], record, _size(record)
        )

    def _dynamodb(self, shard_id: str, r: Mapping[str, Any]) -> StreamRecord:
        change = dict(_wire(r["dynamodb"]))
        created = _epoch(change.get("ApproximateCreationDateTime", 0))
        # The API's value is in seconds, rounded down (the Lambda examples show integers).
        change["ApproximateCreationDateTime"] = int(created)
        record = {
            "eventID": r["eventID"],
            "eventName": r["eventName"],
            "eventVersion": r.get("eventVersion", "1.1"),
            "eventSource": "aws:dynamodb",
            "awsRegion": r.get("awsRegion", self.region),
            "dynamodb": change,
            "eventSourceARN": self.arn,
        }
        keys = json.dumps(change.get("Keys", {}), sort_keys=True)
        return StreamRecord(
            shard_id, change["SequenceNumber"], created, keys, record, _size(record)
        )
