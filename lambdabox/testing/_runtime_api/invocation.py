"""One invocation: its server-side state, how it is built, and the test's handle on it.

:func:`new_invocation` turns the arguments of :meth:`RuntimeAPIServer.enqueue`
into an :class:`Invocation` whose ``/next`` response head is prebuilt as bytes;
:class:`PendingInvocation` is what the test holds to wait for the outcome.
"""

from __future__ import annotations

import json
import threading
import uuid
from typing import Final

from lambdabox.testing._runtime_api.protocol import DEFAULT_FUNCTION_ARN
from lambdabox.testing._runtime_api.records import Outcome

QUEUED: Final = 0
IN_FLIGHT: Final = 1
DONE: Final = 2


class Invocation:
    """Mutable server-side state of one queued invocation."""

    __slots__ = (
        "aborted",
        "deadline_ms",
        "dispatched_at",
        "event",
        "event_body",
        "finished_after_next",
        "head",
        "invocation_id",
        "outcome",
        "rejections",
        "request_id",
        "sent_deadline_ms",
        "status",
        "timeout_s",
    )

    def __init__(
        self,
        request_id: str,
        event_body: bytes,
        head: bytes,
        *,
        deadline_ms: int | None,
        timeout_s: float | None,
        invocation_id: str | None,
    ) -> None:
        self.request_id = request_id
        self.event_body = event_body
        self.head = head
        self.deadline_ms = deadline_ms
        self.timeout_s = timeout_s
        self.invocation_id = invocation_id
        self.status = QUEUED
        self.outcome: Outcome | None = None
        self.event = threading.Event()
        self.finished_after_next = 0
        self.dispatched_at: float | None = None
        self.sent_deadline_ms: int | None = None
        self.rejections: list[tuple[int, str]] = []
        self.aborted = False


class PendingInvocation:
    """Handle on a queued invocation, returned by :meth:`RuntimeAPIServer.enqueue`."""

    __slots__ = ("_inv", "request_id")

    def __init__(self, inv: Invocation) -> None:
        self._inv = inv
        self.request_id: str = inv.request_id

    def done(self) -> bool:
        """Whether the client's ``/response`` or ``/error`` has been accepted."""
        return self._inv.outcome is not None

    def wait(self, timeout: float = 10.0) -> Outcome:
        """Wait for the accepted ``/response`` or ``/error``.

        Raises :class:`TimeoutError` (with the invocation's state in the
        message) when none arrives within ``timeout`` seconds, or at once when
        the server is stopped before one arrives.
        """
        inv = self._inv
        inv.event.wait(timeout)
        outcome = inv.outcome
        if outcome is not None:
            return outcome
        if inv.status == QUEUED:
            state = "still queued: no /next request picked it up"
        else:
            state = "in flight: handed out by /next but nothing accepted was posted"
        if inv.rejections:
            rejected = ", ".join(f"{status} {kind}" for status, kind in inv.rejections)
            state += f"; rejected posts: {rejected}"
        if inv.aborted:
            raise TimeoutError(
                f"invocation {inv.request_id}: the Runtime API server was stopped ({state})"
            )
        raise TimeoutError(
            f"invocation {inv.request_id}: no /response or /error within {timeout} s ({state})"
        )

    @property
    def outcome(self) -> Outcome | None:
        """The outcome if :meth:`done`, else ``None``."""
        return self._inv.outcome

    @property
    def dispatched_at(self) -> float | None:
        """``time.monotonic()`` when ``/next`` handed the invocation out."""
        return self._inv.dispatched_at

    @property
    def deadline_ms(self) -> int | None:
        """The ``Lambda-Runtime-Deadline-Ms`` value sent, once dispatched."""
        return self._inv.sent_deadline_ms

    @property
    def rejections(self) -> tuple[tuple[int, str], ...]:
        """``(status, errorType)`` of posts for this invocation that were rejected."""
        return tuple(self._inv.rejections)

    def __repr__(self) -> str:
        return f"PendingInvocation(request_id={self.request_id!r}, done={self.done()})"


def _header(name: str, value: str) -> bytes:
    if any(c in value for c in "\r\n\0"):
        raise ValueError(f"{name} must not contain CR, LF or NUL: {value!r}")
    return f"{name}: {value}\r\n".encode()


def new_invocation(
    event: bytes | str | object,
    *,
    content_type: str,
    request_id: str | None,
    deadline_ms: int | None,
    timeout_s: float | None,
    invoked_function_arn: str | None,
    trace_id: str | None,
    client_context: str | None,
    cognito_identity: str | None,
    tenant_id: str | None,
    invocation_id: str | None,
) -> Invocation:
    """Validate and encode the arguments of :meth:`RuntimeAPIServer.enqueue`."""
    if deadline_ms is not None and timeout_s is not None:
        raise ValueError("give deadline_ms or timeout_s, not both")
    if isinstance(event, (bytes, bytearray, memoryview)):
        body = bytes(event)
    elif isinstance(event, str):
        body = event.encode()
    else:
        body = json.dumps(event).encode()
    rid = str(uuid.uuid4()) if request_id is None else request_id
    if not rid or "/" in rid or "?" in rid or any(c.isspace() for c in rid):
        raise ValueError(f"request_id must be a non-empty path segment: {rid!r}")
    parts = [
        b"HTTP/1.1 200 OK\r\n",
        _header("Content-Type", content_type),
        b"Content-Length: %d\r\n" % len(body),
        _header("Lambda-Runtime-Aws-Request-Id", rid),
        _header(
            "Lambda-Runtime-Invoked-Function-Arn",
            DEFAULT_FUNCTION_ARN if invoked_function_arn is None else invoked_function_arn,
        ),
    ]
    optional = (
        ("Lambda-Runtime-Trace-Id", trace_id),
        ("Lambda-Runtime-Client-Context", client_context),
        ("Lambda-Runtime-Cognito-Identity", cognito_identity),
        ("Lambda-Runtime-Aws-Tenant-Id", tenant_id),
        ("Lambda-Runtime-Invocation-Id", invocation_id),
    )
    parts.extend(_header(name, value) for name, value in optional if value is not None)
    return Invocation(
        rid,
        body,
        b"".join(parts),
        deadline_ms=deadline_ms,
        timeout_s=timeout_s,
        invocation_id=invocation_id,
    )
