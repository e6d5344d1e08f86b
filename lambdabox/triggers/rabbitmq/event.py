"""The `aws:rmq` event: messages as Lambda hands them to a function.

Facts (Lambda developer guide, Amazon MQ example event): `rmqMessagesByQueue` is keyed
`queue::vhost`; each message carries every `basicProperties` field (absent ones as null),
`redelivered` and the body in base64 under `data`. String header values arrive as their
bytes (`{"bytes": [118, 97, ...]}`, AMQP long strings are byte strings), numbers as numbers;
`timestamp` is written as "Jan 1, 1970, 12:33:41 AM" (UTC).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from aiormq.abc import DeliveredMessage

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MAX_PAYLOAD = 6 * 1024 * 1024  # an invocation's payload limit; a batch closes before it


def format_timestamp(when: dt.datetime) -> str:
    """`Jan 1, 1970, 12:33:41 AM`: the service's rendering of an AMQP timestamp, in UTC."""
    if when.tzinfo is not None:
        when = when.astimezone(dt.timezone.utc)
    hour = when.hour % 12 or 12
    half = "AM" if when.hour < 12 else "PM"
    month = _MONTHS[when.month - 1]
    return f"{month} {when.day}, {when.year}, {hour}:{when.minute:02d}:{when.second:02d} {half}"


def header_value(value: Any) -> Any:
    """An AMQP field value as JSON: byte strings as `{"bytes": [...]}`, tables recursively."""
    if isinstance(value, str):
        value = value.encode("utf-8")
    if isinstance(value, (bytes, bytearray)):
        return {"bytes": list(value)}
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.datetime):
        return format_timestamp(value)
    if isinstance(value, Mapping):
        return {str(k): header_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [header_value(v) for v in value]
    return value  # bool, int, float, None


def record(message: DeliveredMessage) -> dict[str, Any]:
    """One message of `rmqMessagesByQueue`."""
    p = message.header.properties
    headers = None if p.headers is None else header_value(p.headers)
    return {
        "basicProperties": {
            "contentType": p.content_type,
            "contentEncoding": p.content_encoding,
            "headers": headers,
            "deliveryMode": p.delivery_mode,
            "priority": p.priority,
            "correlationId": p.correlation_id,
            "replyTo": p.reply_to,
            "expiration": p.expiration,
            "messageId": p.message_id,
            "timestamp": None if p.timestamp is None else format_timestamp(p.timestamp),
            "type": p.message_type,
            "userId": p.user_id,
            "appId": p.app_id,
            "clusterId": p.cluster_id or None,
            "bodySize": len(message.body),
        },
        "redelivered": bool(message.redelivered),
        "data": base64.b64encode(message.body).decode("ascii"),
    }


def encode(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


EMPTY_EVENT_SIZE = len(
    encode({"eventSource": "aws:rmq", "eventSourceArn": "", "rmqMessagesByQueue": {"": []}})
)


def event(broker_arn: str, key: str, records: Sequence[bytes]) -> bytes:
    """The invocation payload for one batch of one queue, from `encode(record(m))`s."""
    head = encode({"eventSource": "aws:rmq", "eventSourceArn": broker_arn})[:-1]
    return head + b',"rmqMessagesByQueue":{' + encode(key) + b":[" + b",".join(records) + b"]}}"
