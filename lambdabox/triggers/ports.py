"""The ports between triggers and the application that runs them.

A trigger package exports `triggers(template, invoker, settings) -> list[Trigger]` (the
`TriggerFactory` shape): it finds its declarations in the template, and returns the
triggers to start. The application implements `FunctionInvoker` over its functions'
environments, so triggers never reach into pools or HTTP themselves.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from lambdabox.emulator.invocation import Outcome
    from lambdabox.template.model import Template


class UnknownFunction(LookupError):
    """No function of the application has that name, logical id or ARN."""


@dataclass(frozen=True)
class Answer:
    """A synchronous invocation's answer: the outcome and the request id it ran under."""

    request_id: str
    outcome: Outcome


class FunctionInvoker(Protocol):
    """Invoke the application's functions by logical id (or path, name or ARN)."""

    def function_arn(self, function: str) -> str:
        """The function's ARN (UnknownFunction when there is none)."""
        ...

    def function_concurrency(self, function: str) -> int:
        """How many invocations of the function may run at once: its environments, capped
        by ReservedConcurrentExecutions (UnknownFunction when there is none). Pollers run
        no more concurrent batches than this."""
        ...

    async def invoke(
        self,
        function: str,
        payload: bytes,
        *,
        content_type: str = "application/json",
        stream: asyncio.Queue[bytes | None] | None = None,
        wait: bool = False,
    ) -> Answer:
        """A RequestResponse invocation. Raises `lambdabox.emulator.pool.TooManyRequests`
        when every environment is busy, unless `wait` (pollers wait, HTTP callers do not).
        With `stream`, the runtime's streamed chunks are put there as they arrive, then None."""
        ...

    async def invoke_event(self, function: str, payload: bytes) -> str:
        """An Event invocation, with the service's asynchronous semantics (queued, retried,
        sent to its destinations); returns the request id once it is accepted."""
        ...


class Clock(Protocol):
    """Wall-clock time as schedules and batching windows see it (tests substitute one)."""

    def now(self) -> float:
        """Seconds since the epoch."""
        ...

    async def sleep_until(self, when: float) -> None: ...


class SystemClock:
    """The real clock."""

    def now(self) -> float:
        return time.time()

    async def sleep_until(self, when: float) -> None:
        delay = when - time.time()
        if delay > 0:
            await asyncio.sleep(delay)


def _stderr(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


@dataclass(frozen=True)
class AppSettings:
    """What the application decided for every trigger: addresses, endpoints, clock, output."""

    host: str = "127.0.0.1"
    http_port: int = 3000
    region: str = "us-east-1"
    account_id: str = "123456789012"
    # Asynchronous retry delays are multiplied by this (tests use a small value).
    retry_delay_scale: float = 1.0
    sqs_endpoint: str | None = None  # None: a local endpoint is started when queues are declared
    rabbitmq_url: str | None = None
    state_dir: Path | None = None
    clock: Clock = field(default_factory=SystemClock)
    notes: Callable[[str], None] = _stderr  # one line per event worth telling the user
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TriggerLine:
    """One line of `lambdabox up`'s start-up listing, and its `--json` form."""

    kind: str  # "http", "url", "schedule", "sqs", "rabbitmq", "kinesis", "dynamodb"
    function: str  # the function's logical id
    text: str  # "GET /hello -> HelloFunction"
    detail: Mapping[str, Any] = field(default_factory=dict)


class Trigger(Protocol):
    """A running trigger: listed, started once, closed once."""

    def describe(self) -> Sequence[TriggerLine]: ...

    async def start(self) -> None: ...

    async def close(self) -> None: ...


TriggerFactory = Callable[["Template", FunctionInvoker, AppSettings], Sequence[Trigger]]
