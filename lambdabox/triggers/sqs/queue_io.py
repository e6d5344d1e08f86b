"""The SQS calls a mapping makes, each run in a worker thread so the event loop never blocks.

boto3 is synchronous; rather than add an async SDK (aiobotocore pins botocore tightly), each
call goes to a small thread pool of the mapping's own, sized to its pollers, so a 20-second
long poll never starves the loop's default executor.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from lambdabox.triggers.sqs.arns import QueueArn
from lambdabox.triggers.sqs.client import queue_url, sqs_client

T = TypeVar("T")
MAX_RECEIVE = 10  # ReceiveMessage returns at most 10 messages


class QueueIO:
    """One queue on one endpoint: receive, delete, release, from the event loop."""

    def __init__(self, endpoint: str | None, queue: QueueArn, threads: int) -> None:
        self.endpoint = endpoint
        self.queue = queue
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix=f"sqs-{queue.name}")
        self._client: Any = None
        self.url = ""
        self.closing = False

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    async def open(self, pool: int) -> None:
        self._client = await self._run(sqs_client, self.endpoint, self.queue.region, pool)
        self.url = await self._run(queue_url, self._client, self.queue)

    async def receive(self, count: int, wait_s: int) -> list[dict[str, Any]]:
        """Up to `count` (<= 10) messages, long-polling up to `wait_s` seconds."""
        return await self._run(self._receive, min(count, MAX_RECEIVE), wait_s)

    def _receive(self, count: int, wait_s: int) -> list[dict[str, Any]]:
        answer = self._client.receive_message(
            QueueUrl=self.url,
            MaxNumberOfMessages=count,
            WaitTimeSeconds=wait_s,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        messages: list[dict[str, Any]] = answer.get("Messages", [])
        if self.closing and messages:
            # The mapping closed while this poll was out: hand the messages straight back.
            self._release([m["ReceiptHandle"] for m in messages])
            return []
        return messages

    async def delete(self, handles: Sequence[str]) -> list[str]:
        """DeleteMessageBatch in tens; returns the error of each entry that failed."""
        return await self._run(self._delete, list(handles)) if handles else []

    def _delete(self, handles: list[str]) -> list[str]:
        errors: list[str] = []
        for start in range(0, len(handles), MAX_RECEIVE):
            chunk = handles[start : start + MAX_RECEIVE]
            entries = [{"Id": str(i), "ReceiptHandle": h} for i, h in enumerate(chunk)]
            answer = self._client.delete_message_batch(QueueUrl=self.url, Entries=entries)
            errors += [f"{f.get('Code')}: {f.get('Message')}" for f in answer.get("Failed", [])]
        return errors

    async def release(self, handles: Sequence[str]) -> None:
        """Make messages visible again now (messages gathered but never sent to the function)."""
        if handles:
            await self._run(self._release, list(handles))

    def _release(self, handles: list[str]) -> None:
        for start in range(0, len(handles), MAX_RECEIVE):
            chunk = handles[start : start + MAX_RECEIVE]
            entries = [
                {"Id": str(i), "ReceiptHandle": h, "VisibilityTimeout": 0}
                for i, h in enumerate(chunk)
            ]
            self._client.change_message_visibility_batch(QueueUrl=self.url, Entries=entries)

    async def counts(self) -> dict[str, int]:
        """Visible, in-flight and delayed message counts (for idleness checks)."""
        return await self._run(self.counts_now)

    def counts_now(self) -> dict[str, int]:
        names = [
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
        ]
        attrs = self._client.get_queue_attributes(QueueUrl=self.url, AttributeNames=names)
        return {k: int(v) for k, v in attrs.get("Attributes", {}).items()}

    def shutdown(self) -> None:
        self.closing = True
        self._pool.shutdown(wait=False, cancel_futures=True)
