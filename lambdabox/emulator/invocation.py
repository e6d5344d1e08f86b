"""An invocation as the emulator tracks it, and the outcome a caller receives."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field

from lambdabox.emulator.ids import token_hex, uuid4
from runtime_interface import protocol as p


@dataclass(frozen=True)
class Outcome:
    """What the caller gets: a result, or a function error (X-Amz-Function-Error: Unhandled)."""

    body: bytes
    content_type: str = p.CONTENT_TYPE_JSON
    function_error: bool = False

    @classmethod
    def error(cls, error_type: str, message: str) -> Outcome:
        body = json.dumps({"errorType": error_type, "errorMessage": message}).encode()
        return cls(body, p.CONTENT_TYPE_JSON, True)


def new_trace_id() -> str:
    """An X-Ray trace header in the service's format, sampled off."""
    return f"Root=1-{int(time.time()):08x}-{token_hex(12)};Parent={token_hex(8)};Sampled=0"


@dataclass
class Invocation:
    """One invocation from the Invoke API to a runtime, answered exactly once."""

    payload: bytes
    arn: str
    timeout_s: float
    content_type: str = p.CONTENT_TYPE_JSON
    client_context: str | None = None
    cognito_identity: str | None = None
    trace_id: str = field(default_factory=new_trace_id)
    tenant_id: str | None = None
    request_id: str = field(default_factory=uuid4)
    invocation_id: str = field(default_factory=uuid4)
    deadline_ms: int = 0
    started_at: float = 0.0  # monotonic, when handed to the runtime
    ended_at: float = 0.0  # monotonic, when the runtime asked for its next event
    # Wall clock (time.time()) of the same two moments: a container's log lines are
    # attributed to the invocation whose span holds the time they were written.
    started_wall: float = 0.0
    ended_wall: float = 0.0
    logs: list[str] = field(default_factory=list)
    timed_out: bool = False
    # Set by the response-streaming endpoint: chunks as the runtime streams them, then None.
    stream: asyncio.Queue[bytes | None] | None = None
    outcome: asyncio.Future[Outcome] = field(init=False)
    # Set once END and REPORT are written (the log of this invocation is complete).
    finished: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self.outcome = asyncio.get_running_loop().create_future()

    def next_headers(self) -> list[tuple[str, str]]:
        """The Lambda-Runtime-* headers of this invocation on GET /next."""
        headers = [
            ("Content-Type", self.content_type),
            (p.REQUEST_ID, self.request_id),
            (p.DEADLINE_MS, str(self.deadline_ms)),
            (p.INVOKED_FUNCTION_ARN, self.arn),
            (p.TRACE_ID, self.trace_id),
            (p.INVOCATION_ID, self.invocation_id),
        ]
        if self.client_context:
            headers.append((p.CLIENT_CONTEXT, self.client_context))
        if self.cognito_identity:
            headers.append((p.COGNITO_IDENTITY, self.cognito_identity))
        if self.tenant_id:
            headers.append((p.TENANT_ID, self.tenant_id))
        return headers

    def settle(self, outcome: Outcome) -> bool:
        """Answer the caller; False when it was answered already (nothing is answered twice)."""
        if self.outcome.done():
            return False
        self.outcome.set_result(outcome)
        return True
