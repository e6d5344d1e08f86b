"""`DestinationConfig.OnFailure`: the record Lambda sends about discarded stream records.

Shape (Lambda developer guide, "Retain discarded batch records"): `requestContext`
{requestId, functionArn, condition, approximateInvokeCount}, `responseContext`
{statusCode, executedVersion, functionError}, `version` "1.0", `timestamp`, and
`KinesisBatchInfo` or `DDBStreamBatchInfo` {shardId, startSequenceNumber,
endSequenceNumber, approximateArrivalOfFirstRecord, approximateArrivalOfLastRecord,
batchSize, streamArn}. The records themselves are not included (fetch them by sequence
number while the stream keeps them). Sent to an SQS queue with SendMessage.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from lambdabox.triggers.streams.sources import StreamRecord, client


def iso_ms(epoch: float) -> str:
    """`2019-11-14T00:38:06.021Z`."""
    when = dt.datetime.fromtimestamp(epoch, dt.timezone.utc)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


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
            "approximateArrivalOfFirstRecord": iso_ms(batch[0].arrival),
            "approximateArrivalOfLastRecord": iso_ms(batch[-1].arrival),
            "batchSize": len(batch),
            "streamArn": stream_arn,
        },
    }


class SqsSink:
    """Sends failure records to SQS queues by ARN (`arn:aws:sqs:REGION:ACCOUNT:NAME`)."""

    def __init__(self, endpoint: str | None, region: str) -> None:
        self._client = client("sqs", endpoint, region)
        self._urls: dict[str, str] = {}

    def _send(self, queue_arn: str, body: str) -> None:
        url = self._urls.get(queue_arn)
        if url is None:
            _, _, _, _, account, name = queue_arn.split(":", 5)
            out = self._client.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)
            url = self._urls[queue_arn] = out["QueueUrl"]
        self._client.send_message(QueueUrl=url, MessageBody=body)

    async def deliver(self, queue_arn: str, body: dict[str, Any]) -> None:
        await asyncio.to_thread(self._send, queue_arn, json.dumps(body))
