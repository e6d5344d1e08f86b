"""`DestinationConfig.OnFailure`: the record Lambda sends about discarded stream records.

Shape (Lambda developer guide, "Retain discarded batch records"): `requestContext`
{requestId, functionArn, condition, approximateInvokeCount}, `responseContext`
{statusCode, executedVersion, functionError}, `version` "1.0", `timestamp`, and
`KinesisBatchInfo` or `DDBStreamBatchInfo` {shardId, startSequenceNumber,
endSequenceNumber, approximateArrivalOfFirstRecord, approximateArrivalOfLastRecord,
batchSize, streamArn}. The service supports three destinations for stream mappings: an SQS
queue (SendMessage) and an SNS topic (Publish) get that record alone (fetch the records by
sequence number while the stream keeps them); an S3 bucket gets it with the whole
invocation event under `payload`, as an object named
`aws/lambda/<ESM-UUID>/<shardID>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<random UUID>`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from collections.abc import Sequence
from typing import Any

from lambdabox.triggers.streams.config import destination_kind
from lambdabox.triggers.streams.sources import StreamRecord, client


def iso_ms(epoch: float) -> str:
    """`2019-11-14T00:38:06.021Z`."""
    when = dt.datetime.fromtimestamp(epoch, dt.timezone.utc)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def iso_s(epoch: float) -> str:
    """`2019-11-14T00:13:19Z` (DynamoDB stream records carry whole seconds)."""
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def s3_key(mapping_uuid: str, shard_id: str, now: float) -> str:
    """The object key the service writes an S3 failure record under."""
    when = dt.datetime.fromtimestamp(now, dt.timezone.utc)
    return (
        f"aws/lambda/{mapping_uuid}/{shard_id}/{when:%Y/%m/%d}/"
        f"{when:%Y-%m-%dT%H.%M.%S}-{uuid.uuid4()}"
    )


def record(
    *,
    kind: str,
    batch: Sequence[StreamRecord],
    stream_arn: str,
    request_id: str,
    function_arn: str,
    condition: str,
    invokes: int,
    function_error: str | None,
    now: float,
) -> dict[str, Any]:
    """The failure record for `batch` (the records being discarded)."""
    response: dict[str, Any] = {"statusCode": 200, "executedVersion": "$LATEST"}
    if function_error is not None:
        response["functionError"] = function_error
    info_key = "KinesisBatchInfo" if kind == "kinesis" else "DDBStreamBatchInfo"
    arrival = iso_ms if kind == "kinesis" else iso_s
    return {
        "requestContext": {
            "requestId": request_id,
            "functionArn": function_arn,
            "condition": condition,
            "approximateInvokeCount": invokes,
        },
        "responseContext": response,
        "version": "1.0",
        "timestamp": iso_ms(now),
        info_key: {
            "shardId": batch[0].shard_id,
            "startSequenceNumber": batch[0].sequence,
            "endSequenceNumber": batch[-1].sequence,
            "approximateArrivalOfFirstRecord": arrival(batch[0].arrival),
            "approximateArrivalOfLastRecord": arrival(batch[-1].arrival),
            "batchSize": len(batch),
            "streamArn": stream_arn,
        },
    }


class Sink:
    """Sends failure records to SQS queues, SNS topics and S3 buckets by ARN."""

    def __init__(self, endpoint: str | None, region: str, mapping_uuid: str) -> None:
        self._endpoint = endpoint
        self._region = region
        self._mapping_uuid = mapping_uuid
        self._clients: dict[str, Any] = {}
        self._urls: dict[str, str] = {}

    def _client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = client(service, self._endpoint, self._region)
        return self._clients[service]

    def _send(self, arn: str, body: dict[str, Any], event: bytes, now: float) -> str:
        kind = destination_kind(arn)
        if kind == "sqs":
            sqs = self._client("sqs")
            url = self._urls.get(arn)
            if url is None:
                _, _, _, _, account, name = arn.split(":", 5)
                out = sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)
                url = self._urls[arn] = out["QueueUrl"]
            sqs.send_message(QueueUrl=url, MessageBody=json.dumps(body))
            return url
        if kind == "sns":
            self._client("sns").publish(TopicArn=arn, Message=json.dumps(body))
            return arn
        if kind == "s3":
            bucket = arn.split(":", 5)[5].split("/", 1)[0]
            info = body.get("KinesisBatchInfo") or body.get("DDBStreamBatchInfo") or {}
            key = s3_key(self._mapping_uuid, str(info.get("shardId", "")), now)
            whole = {**body, "payload": json.loads(event)}
            self._client("s3").put_object(
                Bucket=bucket,
                Key=key,
                Body=json.dumps(whole).encode(),
                ContentType="application/json",
            )
            return f"s3://{bucket}/{key}"
        raise ValueError(f"{arn} is not an SQS queue, SNS topic or S3 bucket ARN")

    async def deliver(self, arn: str, body: dict[str, Any], event: bytes, now: float) -> str:
        """Send the failure record `body` (made at `now`; with `event`, the discarded
        records' invocation payload, for S3) to `arn`; returns where it went."""
        return await asyncio.to_thread(self._send, arn, body, event, now)
