"""Where asynchronous invocations send their records: the port the application implements."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol, runtime_checkable


class DestinationSink(Protocol):
    """Delivers an invocation record (OnSuccess/OnFailure) or a dead-letter message.

    `target_arn` is a destination ARN as configured (a function, a queue, ...); `record` the
    bytes the service sends there. The application maps ARNs to its functions and queues.
    """

    async def deliver(self, target_arn: str, record: bytes) -> None: ...


@dataclass(frozen=True)
class MessageAttribute:
    """One SQS/SNS message attribute: its data type ("String", "Number") and value."""

    data_type: str
    value: str


@runtime_checkable
class DeadLetterSink(Protocol):
    """Optional: a sink that can also carry message attributes (the DLQ's RequestID,
    ErrorCode and ErrorMessage). A sink without it gets the bare event via `deliver`."""

    async def deliver_dead_letter(
        self, target_arn: str, body: bytes, attributes: Mapping[str, MessageAttribute]
    ) -> None: ...
