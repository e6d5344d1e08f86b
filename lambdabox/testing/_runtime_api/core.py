"""The protocol state machine shared by the connection handlers and the facade.

:class:`Core` owns the invocation queue, decides each request's answer
(including the service's 400/403/413 rejections), records requests, outcomes
and violations, and hands every queued invocation to exactly one ``/next``.
"""

from __future__ import annotations

import re
import threading
import time
from collections import deque
from typing import TYPE_CHECKING, Literal

from lambdabox.testing import _http
from lambdabox.testing._runtime_api.invocation import DONE, IN_FLIGHT, QUEUED, Invocation
from lambdabox.testing._runtime_api.protocol import (
    ACCEPTED,
    DEFAULT_TIMEOUT_MS,
    H_INVOCATION_ID,
    H_RESPONSE_MODE,
    INVALID_MODE,
    INVALID_REQUEST_ID,
    MAX_RESPONSE_BYTES,
    MAX_STREAMING_RESPONSE_BYTES,
    NEXT_PATH,
    RESTORE_OK,
    invalid_transition,
    too_large,
)
from lambdabox.testing._runtime_api.records import Outcome, Posted, RecordedRequest
from lambdabox.testing._runtime_api.validation import check_error_post, check_trailers

if TYPE_CHECKING:
    from lambdabox.testing._runtime_api.transport import Handler


class Core:
    """Protocol state shared by the request handlers and the public facade."""

    def __init__(self, record_requests: bool) -> None:
        self.record_requests = record_requests
        self.max_recorded_requests = 10_000
        self.max_finished_invocations = 10_000
        self.max_response_bytes = MAX_RESPONSE_BYTES
        self.max_streaming_response_bytes = MAX_STREAMING_RESPONSE_BYTES
        self.error_type_pattern: re.Pattern[str] | None = None
        self.requests: list[RecordedRequest] = []
        self.violations: list[str] = []
        self.restore_errors: list[Posted] = []
        self.lock = threading.Lock()
        self.ready = threading.Condition(self.lock)
        self.queue: deque[Invocation] = deque()
        self.invocations: dict[str, Invocation] = {}
        self.finished: deque[str] = deque()
        self.next_count = 0
        self.stopping = False
        self.first_next_at: float | None = None
        self.first_next = threading.Event()
        self.init_error: Posted | None = None
        self.init_error_posted = threading.Event()
        self.restore_next_seen = threading.Event()

    # -- recording

    def record(
        self, method: str, target: str, headers: dict[str, str], now: float, peer_port: int
    ) -> None:
        requests = self.requests
        requests.append(RecordedRequest(method, target, headers, now, peer_port))
        limit = self.max_recorded_requests
        if len(requests) > limit + limit // 8:
            del requests[: len(requests) - limit]

    def violation(self, text: str) -> None:
        self.violations.append(text)

    # -- invocations

    def add(self, inv: Invocation) -> None:
        with self.lock:
            if self.stopping:
                raise RuntimeError("the Runtime API server has been stopped")
            if inv.request_id in self.invocations:
                raise ValueError(f"request id {inv.request_id!r} is already in use")
            self.invocations[inv.request_id] = inv
            self.queue.append(inv)
            self.ready.notify()

    def take_next(self, handler: Handler, now: float) -> Invocation | None:
        """Block until an invocation is queued and hand it to ``handler``.

        Returns ``None`` when the server is stopping or the client went away.
        """
        with self.lock:
            self.next_count += 1
            if self.first_next_at is None:
                self.first_next_at = now
                self.first_next.set()
            previous = handler.assigned
            if previous is not None and previous.status == IN_FLIGHT:
                self.violation(
                    f"GET {NEXT_PATH}: invocation {previous.request_id} handed out on this "
                    "connection is still in flight (no /response or /error was posted)"
                )
            waited = False
            while not self.queue and not self.stopping:
                waited = True
                self.ready.wait()
            if self.stopping:
                return None
            if waited and not handler.peer_alive():
                self.ready.notify()
                return None
            inv = self.queue.popleft()
            inv.status = IN_FLIGHT
            inv.dispatched_at = time.monotonic()
            if inv.deadline_ms is not None:
                deadline = inv.deadline_ms
            else:
                timeout_ms = DEFAULT_TIMEOUT_MS if inv.timeout_s is None else inv.timeout_s * 1000
                deadline = int(time.time() * 1000 + timeout_ms)
            inv.sent_deadline_ms = deadline
            handler.assigned = inv
            return inv

    def post(
        self,
        kind: Literal["response", "error"],
        request_id: str,
        *,
        where: str,
        headers: dict[str, str],
        body: _http.Body,
        streamed: bool,
    ) -> bytes:
        """Handle ``/response`` or ``/error``; returns the complete HTTP response."""
        received_at = time.monotonic()
        with self.lock:
            inv = self.invocations.get(request_id)
            if inv is None or inv.status == QUEUED:
                return INVALID_REQUEST_ID
            if inv.status == DONE:
                if self.next_count > inv.finished_after_next:
                    return INVALID_REQUEST_ID
                assert inv.outcome is not None
                current = (
                    "InvocationResponseSent"
                    if inv.outcome.kind == "response"
                    else "InvocationErrorSent"
                )
                target = "InvocationResponse" if kind == "response" else "InvocationErrorResponse"
                return invalid_transition(current, target)
            if kind == "response":
                mode = headers.get(H_RESPONSE_MODE)
                if mode is not None and mode.strip().lower() != "streaming":
                    inv.rejections.append((400, "InvalidFunctionResponseMode"))
                    return INVALID_MODE
            if body.too_large:
                inv.rejections.append((413, "RequestEntityTooLarge"))
                return too_large(
                    self.max_streaming_response_bytes if streamed else self.max_response_bytes
                )
            problems: list[str] = []
            if inv.invocation_id is not None and headers.get(H_INVOCATION_ID) != inv.invocation_id:
                problems.append(
                    f"Lambda-Runtime-Invocation-Id is {headers.get(H_INVOCATION_ID)!r}, "
                    f"expected {inv.invocation_id!r}"
                )
            if kind == "error":
                problems.extend(check_error_post(headers, body.data, self.error_type_pattern))
            if body.trailers:
                problems.extend(check_trailers(body.trailers, self.error_type_pattern))
            chunks = body.chunks
            if streamed and not body.chunked and body.data:
                chunks = ((received_at, body.data),)
            inv.outcome = Outcome(
                kind=kind,
                request_id=request_id,
                body=body.data,
                headers=headers,
                streamed=streamed,
                chunks=chunks,
                trailers=body.trailers,
                received_at=received_at,
                dispatched_at=inv.dispatched_at or 0.0,
            )
            inv.status = DONE
            inv.finished_after_next = self.next_count
            finished = self.finished
            finished.append(request_id)
            while len(finished) > self.max_finished_invocations:
                self.invocations.pop(finished.popleft(), None)
        for problem in problems:
            self.violation(f"{where}: {problem}")
        inv.event.set()
        return ACCEPTED

    def post_init_error(self, where: str, headers: dict[str, str], body: _http.Body) -> bytes:
        received_at = time.monotonic()
        with self.lock:
            if self.next_count or self.init_error is not None:
                current = "InitErrorSent" if self.init_error is not None else "Ready"
                return invalid_transition(current, "InitError")
            if body.too_large:
                return too_large(self.max_response_bytes)
            self.init_error = Posted(body.data, headers, received_at)
        for problem in check_error_post(headers, body.data, self.error_type_pattern):
            self.violation(f"{where}: {problem}")
        self.init_error_posted.set()
        return ACCEPTED

    def restore_next(self) -> bytes:
        with self.lock:
            if self.next_count:
                return invalid_transition("Ready", "RestoreNext")
        self.restore_next_seen.set()
        return RESTORE_OK

    def post_restore_error(self, where: str, headers: dict[str, str], body: _http.Body) -> bytes:
        received_at = time.monotonic()
        with self.lock:
            if self.next_count:
                return invalid_transition("Ready", "RestoreError")
            if body.too_large:
                return too_large(self.max_response_bytes)
            self.restore_errors.append(Posted(body.data, headers, received_at))
        for problem in check_error_post(headers, body.data, self.error_type_pattern):
            self.violation(f"{where}: {problem}")
        return ACCEPTED

    def stop(self) -> None:
        with self.lock:
            self.stopping = True
            pending = [inv for inv in self.invocations.values() if inv.status != DONE]
            for inv in pending:
                inv.aborted = True
            self.ready.notify_all()
        for inv in pending:
            inv.event.set()
