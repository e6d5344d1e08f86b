"""`app.sqs` in tests: send to the application's queues, read them, wait for mappings.

`SqsHelper(endpoint, template)` names queues as the template does (their QueueName or
logical id). `wait_idle()` returns the invocations the running SQS mappings of this process
made since the previous call, once every watched queue is empty and no batch is running.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any, Union

from lambdabox.template.model import Template
from lambdabox.triggers.sqs import history
from lambdabox.triggers.sqs.arns import queue_name
from lambdabox.triggers.sqs.client import sqs_client
from lambdabox.triggers.sqs.history import BatchRecord

AttributeValue = Union[str, bytes, int, float, Mapping[str, Any]]


def message_attributes(attributes: Mapping[str, AttributeValue]) -> dict[str, dict[str, Any]]:
    """`{"k": "v", "n": 3, "b": b"..."}` -> SendMessage's MessageAttributes (raw dicts pass)."""
    out: dict[str, dict[str, Any]] = {}
    for name, value in attributes.items():
        if isinstance(value, Mapping):
            out[name] = dict(value)
        elif isinstance(value, bytes):
            out[name] = {"DataType": "Binary", "BinaryValue": value}
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            out[name] = {"DataType": "Number", "StringValue": str(value)}
        else:
            out[name] = {"DataType": "String", "StringValue": str(value)}
    return out


class SqsHelper:
    """Queues of one application on one SQS endpoint, for tests."""

    def __init__(self, endpoint: str, template: Template | None = None, region: str = "") -> None:
        self.endpoint = endpoint
        self._template = template
        # The boto3 SQS client, for anything the helpers do not cover.
        self.client: Any = sqs_client(
            endpoint, region or (template.region if template else "us-east-1")
        )
        self._urls: dict[str, str] = {}
        self._seen: dict[int, int] = {}

    def queue_name(self, queue: str) -> str:
        """A queue's name from its logical id or name."""
        if self._template is not None:
            res = self._template.resources.get(queue)
            if res is not None and res.type == "AWS::SQS::Queue":
                return queue_name(res.logical_id, res.properties, self._template.stack_name)
        return queue

    def url(self, queue: str) -> str:
        if queue not in self._urls:
            name = self.queue_name(queue)
            self._urls[queue] = str(self.client.get_queue_url(QueueName=name)["QueueUrl"])
        return self._urls[queue]

    def send(
        self,
        queue: str,
        body: str,
        attributes: Mapping[str, AttributeValue] | None = None,
        *,
        group_id: str | None = None,
        deduplication_id: str | None = None,
        delay_s: int | None = None,
    ) -> str:
        """SendMessage; returns the message id."""
        args: dict[str, Any] = {"QueueUrl": self.url(queue), "MessageBody": body}
        if attributes:
            args["MessageAttributes"] = message_attributes(attributes)
        if group_id is not None:
            args["MessageGroupId"] = group_id
        if deduplication_id is not None:
            args["MessageDeduplicationId"] = deduplication_id
        if delay_s is not None:
            args["DelaySeconds"] = delay_s
        return str(self.client.send_message(**args)["MessageId"])

    def send_many(
        self, queue: str, bodies: Sequence[str], group_id: str | None = None
    ) -> list[str]:
        """SendMessageBatch in tens; returns the message ids in order."""
        ids: list[str] = []
        for start in range(0, len(bodies), 10):
            entries: list[dict[str, Any]] = []
            for i, body in enumerate(bodies[start : start + 10]):
                entry: dict[str, Any] = {"Id": str(i), "MessageBody": body}
                if group_id is not None:
                    entry["MessageGroupId"] = group_id
                    entry["MessageDeduplicationId"] = f"{start + i}-{time.time_ns()}"
                entries.append(entry)
            answer = self.client.send_message_batch(QueueUrl=self.url(queue), Entries=entries)
            if answer.get("Failed"):
                raise RuntimeError(f"SendMessageBatch to {queue} failed: {answer['Failed']}")
            by_id = {e["Id"]: e["MessageId"] for e in answer["Successful"]}
            ids += [by_id[str(i)] for i in range(len(entries))]
        return ids

    def messages(self, queue: str) -> list[dict[str, Any]]:
        """The messages on `queue` now (e.g. a dead-letter queue), left on it: each is
        received once (so its ApproximateReceiveCount grows) and made visible again."""
        url = self.url(queue)
        found: dict[str, dict[str, Any]] = {}
        while True:
            answer = self.client.receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=10,
                VisibilityTimeout=30,
                WaitTimeSeconds=0,
                MessageSystemAttributeNames=["All"],
                MessageAttributeNames=["All"],
            )
            batch = answer.get("Messages", [])
            if not batch:
                break
            for m in batch:
                found.setdefault(m["MessageId"], m)
        handles = [m["ReceiptHandle"] for m in found.values()]
        for start in range(0, len(handles), 10):
            entries = [
                {"Id": str(i), "ReceiptHandle": h, "VisibilityTimeout": 0}
                for i, h in enumerate(handles[start : start + 10])
            ]
            self.client.change_message_visibility_batch(QueueUrl=url, Entries=entries)
        return list(found.values())

    def counts(self, queue: str) -> dict[str, int]:
        names = [
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
        ]
        attrs = self.client.get_queue_attributes(QueueUrl=self.url(queue), AttributeNames=names)
        return {k: int(v) for k, v in attrs.get("Attributes", {}).items()}

    def wait_idle(self, timeout: float = 30.0) -> list[BatchRecord]:
        """Wait until every running mapping is idle and its queue empty (messages handled,
        deleted or moved to a dead-letter queue); returns the batches since the last call."""
        deadline = time.monotonic() + timeout
        calm = 0
        while True:
            mappings = history.running()
            busy = [m for m in mappings if m.history.busy or any(self._queue_counts(m).values())]
            calm = 0 if busy else calm + 1
            if calm >= 2:  # twice in a row: nothing arrived in between
                break
            if time.monotonic() > deadline:
                state = {m.spec.queue.name: self._queue_counts(m) for m in busy}
                raise TimeoutError(f"SQS mappings still busy after {timeout} s: {state}")
            time.sleep(0.05)
        out: list[BatchRecord] = []
        for m in mappings:
            start = self._seen.get(id(m), 0)
            batches = m.history.since(start)
            self._seen[id(m)] = start + len(batches)
            out += batches
        return out

    def _queue_counts(self, mapping: Any) -> dict[str, int]:
        attrs = self.client.get_queue_attributes(
            QueueUrl=mapping.queue_url,
            AttributeNames=[
                "ApproximateNumberOfMessages",
                "ApproximateNumberOfMessagesNotVisible",
                "ApproximateNumberOfMessagesDelayed",
            ],
        )
        return {k: int(v) for k, v in attrs.get("Attributes", {}).items()}
