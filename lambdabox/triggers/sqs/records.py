"""SQS messages (as ReceiveMessage returns them) -> the records of Lambda's SQS event.

The record shape follows the Lambda developer guide's example: system attributes as strings
(FIFO queues add SequenceNumber, MessageGroupId, MessageDeduplicationId), message attributes
as `{stringValue | binaryValue (base64), stringListValues, binaryListValues, dataType}`,
`md5OfMessageAttributes` only when the message has attributes.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

from lambdabox.triggers.sqs.arns import QueueArn

# Lambda's 6 MB payload limit for a batch, metadata included.
MAX_BATCH_BYTES = 6 * 1024 * 1024
# `{"Records": []}`: what a batch costs before its records (plus a comma per record).
ENVELOPE_BYTES = len(b'{"Records": []}')

# The system attributes a record carries, in the order the service writes them.
SYSTEM_ATTRIBUTES = (
    "ApproximateReceiveCount",
    "AWSTraceHeader",
    "SentTimestamp",
    "SequenceNumber",
    "MessageGroupId",
    "SenderId",
    "MessageDeduplicationId",
    "ApproximateFirstReceiveTimestamp",
    "DeadLetterQueueSourceArn",
)


def _b64(value: bytes | str) -> str:
    raw = value.encode() if isinstance(value, str) else value
    return base64.b64encode(raw).decode("ascii")


def message_attribute(value: Mapping[str, Any]) -> dict[str, Any]:
    """One message attribute as the record carries it."""
    out: dict[str, Any] = {}
    if "StringValue" in value:
        out["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        out["binaryValue"] = _b64(value["BinaryValue"])
    out["stringListValues"] = list(value.get("StringListValues", []))
    out["binaryListValues"] = [_b64(v) for v in value.get("BinaryListValues", [])]
    out["dataType"] = value.get("DataType", "String")
    return out


def to_record(message: Mapping[str, Any], queue: QueueArn) -> dict[str, Any]:
    """The Lambda SQS record of one received message."""
    attributes = message.get("Attributes", {})
    record: dict[str, Any] = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message.get("Body", ""),
        "attributes": {k: str(attributes[k]) for k in SYSTEM_ATTRIBUTES if k in attributes},
        "messageAttributes": {
            name: message_attribute(v) for name, v in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message.get("MD5OfBody", ""),
    }
    if record["messageAttributes"] and message.get("MD5OfMessageAttributes"):
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    record["eventSource"] = "aws:sqs"
    record["eventSourceARN"] = str(queue)
    record["awsRegion"] = queue.region
    return record


def record_size(record: Mapping[str, Any]) -> int:
    """Bytes the record adds to the batch's JSON (with its separating comma)."""
    return len(json.dumps(record).encode()) + 2


def event_of(records: list[dict[str, Any]]) -> bytes:
    """The payload the function receives."""
    return json.dumps({"Records": records}).encode()
