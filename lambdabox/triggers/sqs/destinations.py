"""Asynchronous invocations' records to SQS queues, as the service sends them.

`send(endpoint, queue_arn, record, settings)` sends an OnSuccess/OnFailure destination record
(the JSON invocation record) as the message body. For a function's dead-letter queue
(`DeadLetterConfig`), pass `dead_letter=`: the body is then the original event unchanged and
the message carries the attributes the service documents: RequestID (String), ErrorCode
(Number, the 3-digit HTTP status of the invocation) and ErrorMessage (String, first 1 KB).
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from typing import Any

from lambdabox.triggers.ports import AppSettings
from lambdabox.triggers.sqs.arns import QueueArn, parse_arn
from lambdabox.triggers.sqs.client import queue_url, sqs_client
from lambdabox.triggers.sqs.errors import SqsConfigError, SqsEndpointError

ERROR_MESSAGE_LIMIT = 1024


@dataclass(frozen=True)
class DeadLetter:
    """Why an event went to a function's dead-letter queue."""

    request_id: str
    error_message: str
    error_code: int = 200  # a function error is an HTTP 200 answer with X-Amz-Function-Error


_clients: dict[tuple[str | None, str], Any] = {}
_urls: dict[tuple[str | None, str], str] = {}
_lock = threading.Lock()


def _target(endpoint: str | None, arn: QueueArn) -> tuple[Any, str]:
    key = (endpoint, arn.region)
    with _lock:
        client = _clients.get(key)
        if client is None:
            client = _clients[key] = sqs_client(endpoint, arn.region)
        url = _urls.get((endpoint, str(arn)))
    if url is None:
        url = queue_url(client, arn)
        with _lock:
            _urls[(endpoint, str(arn))] = url
    return client, url


def dead_letter_attributes(info: DeadLetter) -> dict[str, dict[str, str]]:
    message = info.error_message.encode()[:ERROR_MESSAGE_LIMIT].decode("utf-8", "ignore")
    return {
        "RequestID": {"DataType": "String", "StringValue": info.request_id},
        "ErrorCode": {"DataType": "Number", "StringValue": str(info.error_code)},
        "ErrorMessage": {"DataType": "String", "StringValue": message or "(no message)"},
    }


def _send(endpoint: str | None, arn: QueueArn, body: str, dead_letter: DeadLetter | None) -> str:
    from botocore.exceptions import BotoCoreError, ClientError

    client, url = _target(endpoint, arn)
    args: dict[str, Any] = {"QueueUrl": url, "MessageBody": body}
    if dead_letter is not None:
        args["MessageAttributes"] = dead_letter_attributes(dead_letter)
    try:
        return str(client.send_message(**args)["MessageId"])
    except (ClientError, BotoCoreError) as exc:
        raise SqsEndpointError(f"SendMessage to {arn}: {exc}") from None


async def send(
    endpoint: str | None,
    queue_arn: str,
    record: bytes,
    settings: AppSettings,
    *,
    dead_letter: DeadLetter | None = None,
) -> str:
    """Send `record` to the queue `queue_arn` on `endpoint`; returns the message id.

    SqsConfigError for an ARN that is not a standard queue (the service refuses FIFO queues
    as asynchronous destinations); SqsEndpointError when the queue or endpoint fails."""
    arn = parse_arn(queue_arn, "destination")
    if arn.fifo:
        raise SqsConfigError(
            f"destination {queue_arn}: Lambda sends asynchronous-invocation records only to "
            "standard queues; use a queue whose name does not end in .fifo"
        )
    body = record.decode("utf-8", "replace")
    message_id = await asyncio.to_thread(_send, endpoint, arn, body, dead_letter)
    kind = "dead-letter queue" if dead_letter else "destination"
    settings.notes(f"sqs {arn.name}: async invocation record sent to {kind} ({message_id})")
    return message_id
