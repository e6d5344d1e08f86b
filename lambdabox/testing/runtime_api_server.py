"""A strict, in-process AWS Lambda Runtime API server for tests and benchmarks.

:class:`RuntimeAPIServer` is a real HTTP/1.1 server (standard library only) on
``127.0.0.1`` that behaves like the Lambda Runtime API service, version
``2018-06-01``.  A runtime interface client under test runs as a separate
process with ``AWS_LAMBDA_RUNTIME_API`` set to :attr:`RuntimeAPIServer.address`.
The test queues invocations with :meth:`RuntimeAPIServer.enqueue` and waits for
what the client posts back with :meth:`PendingInvocation.wait`.

Endpoints (all paths below ``/2018-06-01``)::

    GET  /runtime/invocation/next         200 next event (blocks until one is queued)
    POST /runtime/invocation/{id}/response 202 {"status":"OK"}
    POST /runtime/invocation/{id}/error    202 {"status":"OK"}
    POST /runtime/init/error               202 {"status":"OK"}
    GET  /runtime/restore/next             200 (empty body)
    POST /runtime/restore/error            202 {"status":"OK"}

Strictness.  Requests the real service would reject get the service's status
and ``{"errorMessage": ..., "errorType": ...}`` body:

* 400 ``InvalidRequestID``: ``{id}`` is not an invocation that is currently in
  flight: unknown, still queued, or finished with a ``/next`` request received
  since it finished.
* 403 ``InvalidStateTransition``: a second ``/response`` or ``/error`` for the
  same invocation (before another ``/next``); ``/init/error`` after a ``/next``
  request or after an earlier ``/init/error``; ``/restore/next`` or
  ``/restore/error`` after the first ``/next`` request.
* 413 ``RequestEntityTooLarge``: a body over 6291556 bytes (6 MiB + 100;
  :attr:`RuntimeAPIServer.max_response_bytes`), or a streamed response over
  :attr:`RuntimeAPIServer.max_streaming_response_bytes`.  The invocation stays
  in flight, so the client can still post an ``/error``.
* 400 ``InvalidFunctionResponseMode``: ``Lambda-Runtime-Function-Response-Mode``
  present with a value other than ``streaming`` (case-insensitive).
* 404 ``UnknownEndpoint`` for any other path or method (also a violation).

Things the service would accept but a correct client never does are accepted
too and *recorded* as human-readable strings in
:attr:`RuntimeAPIServer.violations`, so that a test can end with
``assert server.violations == []``:

* any 404 (unknown path or method), a query string, malformed HTTP (the server
  answers 4xx/5xx and closes the connection), an unexpected server error;
* a ``/response`` or ``/error`` without ``Lambda-Runtime-Invocation-Id`` equal
  to the invocation id given to :meth:`RuntimeAPIServer.enqueue`;
* ``/error``, ``/init/error`` and ``/restore/error`` without a
  non-empty ``Lambda-Runtime-Function-Error-Type`` (the service accepts any
  string; :attr:`RuntimeAPIServer.error_type_pattern` can demand more), with a
  ``Lambda-Runtime-Function-XRay-Error-Cause`` that is not JSON, or with a
  non-empty body that is not JSON;
* streaming trailers: an empty ``Lambda-Runtime-Function-Error-Type``, or a
  ``Lambda-Runtime-Function-Error-Body`` that is not base64 of a JSON document;
* a ``GET /next`` on a connection whose previous invocation (handed out on that
  same connection) is still in flight, i.e. the client abandoned it.

Each queued invocation is handed to exactly one ``/next`` request, even when
many connections (concurrent client workers) wait at once; the answer to a
``/next`` goes to the connection that asked; posts for an invocation may come
from any connection.  A ``/next`` that has waited re-checks that its client is
still connected before taking an invocation, so a killed client does not
swallow one.

Bodies may use ``Content-Length`` or ``Transfer-Encoding: chunked`` (with
trailer fields); chunks are recorded with their ``time.monotonic()`` arrival
time (see :attr:`Outcome.chunks`).  Every request is recorded in
:attr:`RuntimeAPIServer.requests` unless ``record_requests`` is off.

Performance: one thread per connection, ``TCP_NODELAY`` on every accepted
socket, no request logging, a hand-written header parser, constant responses
prebuilt as bytes and each response written with one ``sendall`` (two for
event bodies of 64 KiB or more, to avoid copying them).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import re
import selectors
import socket
import socketserver
import sys
import threading
import time
import traceback
import uuid
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Final, Literal

from lambdabox.testing import _http

__all__ = [
    "DEFAULT_FUNCTION_ARN",
    "ERROR_TYPE_PATTERN",
    "MAX_RESPONSE_BYTES",
    "Outcome",
    "PendingInvocation",
    "Posted",
    "RecordedRequest",
    "RuntimeAPIServer",
]

API_PREFIX: Final = "/2018-06-01"
NEXT_PATH: Final = API_PREFIX + "/runtime/invocation/next"
INVOCATION_PREFIX: Final = API_PREFIX + "/runtime/invocation/"
INIT_ERROR_PATH: Final = API_PREFIX + "/runtime/init/error"
RESTORE_NEXT_PATH: Final = API_PREFIX + "/runtime/restore/next"
RESTORE_ERROR_PATH: Final = API_PREFIX + "/runtime/restore/error"

MAX_RESPONSE_BYTES: Final = 6 * 1024 * 1024 + 100
MAX_STREAMING_RESPONSE_BYTES: Final = 20 * 1024 * 1024
DEFAULT_FUNCTION_ARN: Final = "arn:aws:lambda:us-east-1:012345678912:function:test_function"
DEFAULT_TIMEOUT_MS: Final = 300_000

H_REQUEST_ID: Final = "lambda-runtime-aws-request-id"
H_INVOCATION_ID: Final = "lambda-runtime-invocation-id"
H_RESPONSE_MODE: Final = "lambda-runtime-function-response-mode"
H_ERROR_TYPE: Final = "lambda-runtime-function-error-type"
H_ERROR_BODY: Final = "lambda-runtime-function-error-body"
H_XRAY_CAUSE: Final = "lambda-runtime-function-xray-error-cause"
_ERROR_BODY_NAME: Final = "Lambda-Runtime-Function-Error-Body"
_ERROR_TYPE_NAME: Final = "Lambda-Runtime-Function-Error-Type"

ERROR_TYPE_PATTERN: Final = re.compile(r"[A-Za-z]+\.[A-Za-z][A-Za-z0-9]*\Z")
"""The ``Category.Name`` form AWS recommends; opt in via ``error_type_pattern``."""
_PEEK_FLAGS: Final = socket.MSG_PEEK | getattr(socket, "MSG_DONTWAIT", 0)
_CAN_PEEK: Final = hasattr(socket, "MSG_DONTWAIT")
_JOIN_BODY_BELOW: Final = 64 * 1024


def _error_json(error_type: str, message: str) -> bytes:
    return json.dumps({"errorMessage": message, "errorType": error_type}).encode()


def _error_response(status: int, error_type: str, message: str, *, close: bool = False) -> bytes:
    return _http.response(status, _error_json(error_type, message), close=close)


_ACCEPTED: Final = _http.response(202, b'{"status":"OK"}')
_RESTORE_OK: Final = _http.response(200, content_type=None)
_INVALID_REQUEST_ID: Final = _error_response(400, "InvalidRequestID", "Invalid request ID")
_INVALID_MODE: Final = _error_response(
    400, "InvalidFunctionResponseMode", "Invalid function response mode"
)
_STOPPING: Final = _error_response(
    500, "ServerStopping", "The Runtime API server is stopping", close=True
)


def _too_large(limit: int) -> bytes:
    return _error_response(
        413,
        "RequestEntityTooLarge",
        f"Exceeded maximum allowed payload size ({limit} bytes).",
    )


def _invalid_transition(current: str, target: str) -> bytes:
    return _error_response(
        403,
        "InvalidStateTransition",
        f"State transition from {current} to {target} failed for runtime. "
        "Error: State transition is not allowed",
    )


# --------------------------------------------------------------------------- values


@dataclass(frozen=True)
class RecordedRequest:
    """One request as received (recorded before its body is read)."""

    method: str
    path: str
    """The request target exactly as sent (including any query string)."""
    headers: Mapping[str, str]
    """Header fields with lower-case names."""
    received_at: float
    """``time.monotonic()`` when the header section had been read."""
    peer_port: int = 0
    """The client's TCP port: requests with the same value came on one connection."""


@dataclass(frozen=True)
class Posted:
    """A body posted to ``/init/error`` or ``/restore/error``."""

    body: bytes
    headers: Mapping[str, str]
    """Header fields with lower-case names."""
    received_at: float
    """``time.monotonic()`` when the whole body had been read."""

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)

    @property
    def error_type(self) -> str | None:
        """The ``Lambda-Runtime-Function-Error-Type`` header, if any."""
        return self.headers.get(H_ERROR_TYPE)


@dataclass(frozen=True)
class Outcome:
    """What the client posted for an invocation (the accepted post)."""

    kind: Literal["response", "error"]
    request_id: str
    body: bytes
    """The body; for a chunked (streamed) body all chunks joined."""
    headers: Mapping[str, str]
    """Header fields with lower-case names."""
    streamed: bool
    """``Lambda-Runtime-Function-Response-Mode: streaming`` was sent."""
    chunks: tuple[tuple[float, bytes], ...]
    """``(time.monotonic() at arrival, data)`` per chunk of a chunked body."""
    trailers: Mapping[str, str]
    """Trailer fields of a chunked body, lower-case names."""
    received_at: float = 0.0
    """``time.monotonic()`` when the whole post had been read."""
    dispatched_at: float = 0.0
    """``time.monotonic()`` when ``/next`` handed the invocation out."""

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)

    @property
    def error_type(self) -> str | None:
        """``Lambda-Runtime-Function-Error-Type`` from the headers or trailers."""
        value = self.headers.get(H_ERROR_TYPE)
        if value is None:
            value = self.trailers.get(H_ERROR_TYPE)
        return value


# ----------------------------------------------------------------------- invocations

_QUEUED: Final = 0
_IN_FLIGHT: Final = 1
_DONE: Final = 2


class _Invocation:
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
        self.status = _QUEUED
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

    def __init__(self, inv: _Invocation) -> None:
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
        if inv.status == _QUEUED:
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


# -------------------------------------------------------------------- state machine


def _check_error_type(value: str | None, where: str, pattern: re.Pattern[str] | None) -> str | None:
    if not value:
        return f"missing {where}"
    if pattern is not None and pattern.match(value) is None:
        return f"{where} {value!r} does not match {pattern.pattern!r} (Category.Name)"
    return None


def _not_json(data: bytes | str) -> bool:
    try:
        json.loads(data)
    except ValueError:
        return True
    return False


def _check_error_post(
    headers: Mapping[str, str], body: bytes, pattern: re.Pattern[str] | None
) -> list[str]:
    problems: list[str] = []
    problem = _check_error_type(headers.get(H_ERROR_TYPE), _ERROR_TYPE_NAME, pattern)
    if problem is not None:
        problems.append(problem)
    cause = headers.get(H_XRAY_CAUSE)
    if cause is not None and _not_json(cause):
        problems.append(f"Lambda-Runtime-Function-XRay-Error-Cause is not JSON: {cause[:200]!r}")
    if body and _not_json(body):
        problems.append(f"error body is not JSON: {body[:200]!r}")
    return problems


def _check_trailers(trailers: Mapping[str, str], pattern: re.Pattern[str] | None) -> list[str]:
    problems: list[str] = []
    error_type = trailers.get(H_ERROR_TYPE)
    error_body = trailers.get(H_ERROR_BODY)
    if error_type is not None or error_body is not None:
        problem = _check_error_type(error_type, f"trailer {_ERROR_TYPE_NAME}", pattern)
        if problem is not None:
            problems.append(problem)
    if error_body is not None:
        try:
            decoded = base64.b64decode(error_body, validate=True)
        except (binascii.Error, ValueError):
            problems.append(f"trailer {_ERROR_BODY_NAME} is not base64: {error_body[:200]!r}")
        else:
            if _not_json(decoded):
                problems.append(
                    f"trailer {_ERROR_BODY_NAME} is not base64 of JSON: {decoded[:200]!r}"
                )
    return problems


class _Core:
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
        self.queue: deque[_Invocation] = deque()
        self.invocations: dict[str, _Invocation] = {}
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

    def add(self, inv: _Invocation) -> None:
        with self.lock:
            if self.stopping:
                raise RuntimeError("the Runtime API server has been stopped")
            if inv.request_id in self.invocations:
                raise ValueError(f"request id {inv.request_id!r} is already in use")
            self.invocations[inv.request_id] = inv
            self.queue.append(inv)
            self.ready.notify()

    def take_next(self, handler: _Handler, now: float) -> _Invocation | None:
        """Block until an invocation is queued and hand it to ``handler``.

        Returns ``None`` when the server is stopping or the client went away.
        """
        with self.lock:
            self.next_count += 1
            if self.first_next_at is None:
                self.first_next_at = now
                self.first_next.set()
            previous = handler.assigned
            if previous is not None and previous.status == _IN_FLIGHT:
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
            inv.status = _IN_FLIGHT
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
            if inv is None or inv.status == _QUEUED:
                return _INVALID_REQUEST_ID
            if inv.status == _DONE:
                if self.next_count > inv.finished_after_next:
                    return _INVALID_REQUEST_ID
                assert inv.outcome is not None
                current = (
                    "InvocationResponseSent"
                    if inv.outcome.kind == "response"
                    else "InvocationErrorSent"
                )
                target = "InvocationResponse" if kind == "response" else "InvocationErrorResponse"
                return _invalid_transition(current, target)
            if kind == "response":
                mode = headers.get(H_RESPONSE_MODE)
                if mode is not None and mode.strip().lower() != "streaming":
                    inv.rejections.append((400, "InvalidFunctionResponseMode"))
                    return _INVALID_MODE
            if body.too_large:
                inv.rejections.append((413, "RequestEntityTooLarge"))
                return _too_large(
                    self.max_streaming_response_bytes if streamed else self.max_response_bytes
                )
            problems: list[str] = []
            if inv.invocation_id is not None and headers.get(H_INVOCATION_ID) != inv.invocation_id:
                problems.append(
                    f"Lambda-Runtime-Invocation-Id is {headers.get(H_INVOCATION_ID)!r}, "
                    f"expected {inv.invocation_id!r}"
                )
            if kind == "error":
                problems.extend(_check_error_post(headers, body.data, self.error_type_pattern))
            if body.trailers:
                problems.extend(_check_trailers(body.trailers, self.error_type_pattern))
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
            inv.status = _DONE
            inv.finished_after_next = self.next_count
            finished = self.finished
            finished.append(request_id)
            while len(finished) > self.max_finished_invocations:
                self.invocations.pop(finished.popleft(), None)
        for problem in problems:
            self.violation(f"{where}: {problem}")
        inv.event.set()
        return _ACCEPTED

    def post_init_error(self, where: str, headers: dict[str, str], body: _http.Body) -> bytes:
        received_at = time.monotonic()
        with self.lock:
            if self.next_count or self.init_error is not None:
                current = "InitErrorSent" if self.init_error is not None else "Ready"
                return _invalid_transition(current, "InitError")
            if body.too_large:
                return _too_large(self.max_response_bytes)
            self.init_error = Posted(body.data, headers, received_at)
        for problem in _check_error_post(headers, body.data, self.error_type_pattern):
            self.violation(f"{where}: {problem}")
        self.init_error_posted.set()
        return _ACCEPTED

    def restore_next(self) -> bytes:
        with self.lock:
            if self.next_count:
                return _invalid_transition("Ready", "RestoreNext")
        self.restore_next_seen.set()
        return _RESTORE_OK

    def post_restore_error(self, where: str, headers: dict[str, str], body: _http.Body) -> bytes:
        received_at = time.monotonic()
        with self.lock:
            if self.next_count:
                return _invalid_transition("Ready", "RestoreError")
            if body.too_large:
                return _too_large(self.max_response_bytes)
            self.restore_errors.append(Posted(body.data, headers, received_at))
        for problem in _check_error_post(headers, body.data, self.error_type_pattern):
            self.violation(f"{where}: {problem}")
        return _ACCEPTED

    def stop(self) -> None:
        with self.lock:
            self.stopping = True
            pending = [inv for inv in self.invocations.values() if inv.status != _DONE]
            for inv in pending:
                inv.aborted = True
            self.ready.notify_all()
        for inv in pending:
            inv.event.set()


# ------------------------------------------------------------------------------ HTTP


class _Handler(BaseHTTPRequestHandler):
    """One client connection; serves keep-alive requests until it closes."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # StreamRequestHandler.setup sets TCP_NODELAY
    server_version = "lambdabox-runtime-api"
    sys_version = ""

    core: _Core
    sock: socket.socket
    assigned: _Invocation | None
    peer_port: int

    def setup(self) -> None:
        super().setup()
        server = self.server
        assert isinstance(server, _HTTPServer)
        self.core = server.core
        self.sock = self.connection
        self.assigned = None
        address = self.client_address
        self.peer_port = int(address[1]) if isinstance(address, tuple) else 0

    def log_message(self, format: str, *args: Any) -> None:
        """Do not log requests (hot path)."""

    def peer_alive(self) -> bool:
        """Whether the client has not closed its end of the connection."""
        if not _CAN_PEEK:
            return True
        try:
            return bool(self.sock.recv(1, _PEEK_FLAGS))
        except BlockingIOError:
            return True
        except OSError:
            return False

    def handle_one_request(self) -> None:
        self.close_connection = True
        try:
            line = self.rfile.readline(_http.MAX_LINE + 1)
            if not line or self.core.stopping:
                return
            if line in {b"\r\n", b"\n"}:  # tolerated before a request line
                self.close_connection = False
                return
            if len(line) > _http.MAX_LINE:
                raise _http.ProtocolError(414, "request line too long")
            parts = line.split()
            if len(parts) != 3 or not line.endswith(b"\n"):
                raise _http.ProtocolError(400, f"malformed request line {line[:200]!r}")
            version = parts[2]
            if version not in {b"HTTP/1.1", b"HTTP/1.0"}:
                raise _http.ProtocolError(505, f"unsupported HTTP version {version!r}")
            method = parts[0].decode("latin-1")
            target = parts[1].decode("latin-1")
            headers = _http.read_fields(self.rfile)
            now = time.monotonic()
            core = self.core
            if core.record_requests:
                core.record(method, target, headers, now, self.peer_port)
            connection = headers.get("connection")
            if version == b"HTTP/1.1":
                keep_alive = connection is None or "close" not in connection.lower()
            else:
                keep_alive = connection is not None and "keep-alive" in connection.lower()
            self.close_connection = not keep_alive
            reply = self.dispatch(method, target, headers, now)
            if reply:
                self.sock.sendall(reply)
        except _http.ProtocolError as exc:
            self.close_connection = True
            self.core.violation(f"malformed HTTP from {self.client_address}: {exc.message}")
            reply = _error_response(exc.status, "InvalidRequest", exc.message, close=True)
            with contextlib.suppress(OSError):
                self.sock.sendall(reply)
        except (_http.PeerClosed, OSError):
            self.close_connection = True

    def read_body(self, headers: dict[str, str], limit: int) -> _http.Body:
        """Read the request body (``Content-Length`` or chunked)."""
        encoding = headers.get("transfer-encoding")
        if encoding is not None:
            if encoding.strip().lower() != "chunked":
                raise _http.ProtocolError(501, f"unsupported Transfer-Encoding {encoding!r}")
            if "content-length" in headers:
                raise _http.ProtocolError(400, "both Content-Length and Transfer-Encoding")
            self.send_continue(headers)
            return _http.read_chunked(self.rfile, limit)
        length = headers.get("content-length")
        if length is None:
            return _http.EMPTY_BODY
        if not (length.isascii() and length.isdigit()):
            raise _http.ProtocolError(400, f"invalid Content-Length {length!r}")
        size = int(length)
        if size:
            self.send_continue(headers)
        return _http.read_sized(self.rfile, size, limit)

    def send_continue(self, headers: dict[str, str]) -> None:
        expect = headers.get("expect")
        if expect is not None and expect.lower() == "100-continue":
            self.sock.sendall(_http.CONTINUE)

    def dispatch(self, method: str, target: str, headers: dict[str, str], now: float) -> bytes:
        """Route one request; returns the response bytes still to be sent."""
        core = self.core
        path = target
        if "?" in target:
            path = target.partition("?")[0]
            core.violation(f"{method} {target}: unexpected query string")
        if path == NEXT_PATH:
            if method == "GET":
                self.read_body(headers, core.max_response_bytes)
                return self.serve_next(now)
        elif path.startswith(INVOCATION_PREFIX):
            request_id, _, action = path[len(INVOCATION_PREFIX) :].partition("/")
            if method == "POST" and request_id and action in {"response", "error"}:
                streamed = False
                limit = core.max_response_bytes
                if action == "response":
                    mode = headers.get(H_RESPONSE_MODE)
                    if mode is not None and mode.strip().lower() == "streaming":
                        streamed = True
                        limit = core.max_streaming_response_bytes
                body = self.read_body(headers, limit)
                kind: Literal["response", "error"] = "response" if action == "response" else "error"
                return core.post(
                    kind,
                    request_id,
                    where=f"{method} {target}",
                    headers=headers,
                    body=body,
                    streamed=streamed,
                )
        elif path == INIT_ERROR_PATH:
            if method == "POST":
                body = self.read_body(headers, core.max_response_bytes)
                return core.post_init_error(f"{method} {target}", headers, body)
        elif path == RESTORE_NEXT_PATH:
            if method == "GET":
                self.read_body(headers, core.max_response_bytes)
                return core.restore_next()
        elif path == RESTORE_ERROR_PATH and method == "POST":
            body = self.read_body(headers, core.max_response_bytes)
            return core.post_restore_error(f"{method} {target}", headers, body)
        self.read_body(headers, core.max_response_bytes)
        if method == "HEAD":  # the 404 below has a body, which a HEAD response must not
            self.close_connection = True
        core.violation(f"{method} {target}: unknown Runtime API endpoint (404)")
        return _error_response(
            404, "UnknownEndpoint", f"Unknown Runtime API endpoint: {method} {path}"
        )

    def serve_next(self, now: float) -> bytes:
        inv = self.core.take_next(self, now)
        if inv is None:
            self.close_connection = True
            return _STOPPING
        head = b"%sLambda-Runtime-Deadline-Ms: %d\r\n\r\n" % (inv.head, inv.sent_deadline_ms or 0)
        body = inv.event_body
        inv.event_body = b""
        if len(body) < _JOIN_BODY_BELOW:
            self.sock.sendall(head + body)
        else:
            self.sock.sendall(head)
            self.sock.sendall(body)
        return b""


class _HTTPServer(ThreadingHTTPServer):
    """Threading server that tracks its connections so ``stop`` can close them."""

    daemon_threads = True
    block_on_close = False
    request_queue_size = 128
    timeout = 0.0  # handle_request() must not block: serve() already saw a connection

    def __init__(self, address: tuple[str, int], core: _Core) -> None:
        self.core = core
        self.connections: dict[socket.socket, threading.Thread] = {}
        self.connections_lock = threading.Lock()
        self.closing = False
        self.wake_reader, self.wake_writer = socket.socketpair()
        try:
            super().__init__(address, _Handler)
        except BaseException:
            self.wake_reader.close()
            self.wake_writer.close()
            raise

    def serve(self) -> None:
        """Accept connections until :meth:`wake_to_close`; unlike ``serve_forever``, no polling."""
        with selectors.DefaultSelector() as selector:
            selector.register(self.socket, selectors.EVENT_READ)
            selector.register(self.wake_reader, selectors.EVENT_READ)
            while not self.closing:
                for key, _ in selector.select():
                    if key.fileobj is self.socket and not self.closing:
                        self.handle_request()

    def wake_to_close(self) -> None:
        """Make :meth:`serve` return promptly."""
        self.closing = True
        with contextlib.suppress(OSError):
            self.wake_writer.send(b"\0")

    def server_close(self) -> None:
        super().server_close()
        self.wake_reader.close()
        self.wake_writer.close()

    def server_bind(self) -> None:
        # HTTPServer.server_bind calls socket.getfqdn(), a DNS lookup: skip it.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def process_request(
        self, request: socket.socket | tuple[bytes, socket.socket], client_address: Any
    ) -> None:
        thread = threading.Thread(
            target=self.process_request_thread,
            args=(request, client_address),
            name=f"runtime-api-conn-{client_address[1]}",
            daemon=True,
        )
        if isinstance(request, socket.socket):
            with self.connections_lock:
                self.connections[request] = thread
        thread.start()

    def shutdown_request(self, request: socket.socket | tuple[bytes, socket.socket]) -> None:
        if isinstance(request, socket.socket):
            with self.connections_lock:
                self.connections.pop(request, None)
        super().shutdown_request(request)

    def handle_error(
        self, request: socket.socket | tuple[bytes, socket.socket], client_address: Any
    ) -> None:
        del request
        text = traceback.format_exc()
        where = f"Runtime API test server (connection from {client_address})"
        self.core.violation(f"internal error in the {where}: {text}")
        sys.stderr.write(f"lambdabox RuntimeAPIServer: unexpected error\n{text}")


# ---------------------------------------------------------------------------- facade


def _header(name: str, value: str) -> bytes:
    if any(c in value for c in "\r\n\0"):
        raise ValueError(f"{name} must not contain CR, LF or NUL: {value!r}")
    return f"{name}: {value}\r\n".encode()


class RuntimeAPIServer:
    """Strict Lambda Runtime API server; see the module documentation."""

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, *, record_requests: bool = True
    ) -> None:
        self._host = host
        self._port = port
        self._core = _Core(record_requests)
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._started = False

    # -- lifecycle

    def start(self) -> RuntimeAPIServer:
        """Bind and serve in a daemon thread; returns ``self``."""
        if self._started:
            raise RuntimeError("RuntimeAPIServer.start() may only be called once")
        self._started = True
        httpd = _HTTPServer((self._host, self._port), self._core)
        self._httpd = httpd
        thread = threading.Thread(
            target=httpd.serve,
            name=f"runtime-api-server-{httpd.server_port}",
            daemon=True,
        )
        self._thread = thread
        thread.start()
        return self

    def stop(self) -> None:
        """Stop serving: unblock waiting ``/next`` requests and close all sockets.

        Idempotent.  Pending invocations' :meth:`PendingInvocation.wait` raise.
        """
        self._core.stop()
        httpd, thread = self._httpd, self._thread
        self._httpd = self._thread = None
        if httpd is None:
            return
        httpd.wake_to_close()
        if thread is not None:
            thread.join()
        httpd.server_close()
        with httpd.connections_lock:
            connections = list(httpd.connections.items())
        for sock, _ in connections:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        deadline = time.monotonic() + 2.0
        for _, handler_thread in connections:
            handler_thread.join(max(0.0, deadline - time.monotonic()))

    def __enter__(self) -> RuntimeAPIServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def address(self) -> str:
        """``host:port`` to use as ``AWS_LAMBDA_RUNTIME_API`` (server must be started)."""
        return f"{self._host}:{self.port}"

    @property
    def port(self) -> int:
        """The bound TCP port (server must be started)."""
        httpd = self._httpd
        if httpd is None:
            raise RuntimeError("the Runtime API server is not running")
        return httpd.server_port

    # -- invocations

    def enqueue(
        self,
        event: bytes | str | object = b"{}",
        *,
        content_type: str = "application/json",
        request_id: str | None = None,
        deadline_ms: int | None = None,
        timeout_s: float | None = None,
        invoked_function_arn: str | None = None,
        trace_id: str | None = None,
        client_context: str | None = None,
        cognito_identity: str | None = None,
        tenant_id: str | None = None,
        invocation_id: str | None = None,
    ) -> PendingInvocation:
        """Queue an invocation for the next ``GET /next``.

        ``event`` bytes are sent as they are, a ``str`` UTF-8 encoded, anything
        else as ``json.dumps(event)``.  ``request_id`` defaults to a new UUID4.
        The deadline is ``deadline_ms`` (epoch ms) if given, else the time of
        dispatch plus ``timeout_s`` (default 300 s).  Optional headers are sent
        only when a value is given.  With ``invocation_id`` the client must
        echo it in ``Lambda-Runtime-Invocation-Id`` on its post.
        """
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
        inv = _Invocation(
            rid,
            body,
            b"".join(parts),
            deadline_ms=deadline_ms,
            timeout_s=timeout_s,
            invocation_id=invocation_id,
        )
        self._core.add(inv)
        return PendingInvocation(inv)

    # -- waiting for the client

    def wait_init_error(self, timeout: float) -> Posted | None:
        """The ``/init/error`` post, waiting up to ``timeout`` s; ``None`` if none."""
        self._core.init_error_posted.wait(timeout)
        return self._core.init_error

    def wait_first_next(self, timeout: float) -> float | None:
        """``time.monotonic()`` when the first ``/next`` arrived, waiting up to ``timeout`` s."""
        self._core.first_next.wait(timeout)
        return self._core.first_next_at

    def wait_restore_next(self, timeout: float) -> bool:
        """Whether a ``/restore/next`` was served, waiting up to ``timeout`` s."""
        return self._core.restore_next_seen.wait(timeout)

    # -- records

    @property
    def init_error(self) -> Posted | None:
        """The accepted ``/init/error`` post, if any."""
        return self._core.init_error

    @property
    def restore_errors(self) -> list[Posted]:
        """Accepted ``/restore/error`` posts."""
        return self._core.restore_errors

    @property
    def violations(self) -> list[str]:
        """Protocol violations seen so far, one human-readable line each."""
        return self._core.violations

    @property
    def requests(self) -> list[RecordedRequest]:
        """Recorded requests, oldest first (the most recent ~``max_recorded_requests``)."""
        return self._core.requests

    @property
    def next_count(self) -> int:
        """Number of ``GET /next`` requests received."""
        return self._core.next_count

    @property
    def record_requests(self) -> bool:
        """Whether requests are recorded in :attr:`requests` (turn off for benchmarks)."""
        return self._core.record_requests

    @record_requests.setter
    def record_requests(self, value: bool) -> None:
        self._core.record_requests = value

    @property
    def max_response_bytes(self) -> int:
        """Largest accepted buffered body (default 6291556); larger gets 413."""
        return self._core.max_response_bytes

    @max_response_bytes.setter
    def max_response_bytes(self, value: int) -> None:
        self._core.max_response_bytes = value

    @property
    def error_type_pattern(self) -> re.Pattern[str] | None:
        """Error types (header or trailer) that do not match are violations.

        Default ``None``: any non-empty value, as the Lambda service accepts.
        :data:`ERROR_TYPE_PATTERN` demands AWS's recommended ``Category.Name``.
        """
        return self._core.error_type_pattern

    @error_type_pattern.setter
    def error_type_pattern(self, value: re.Pattern[str] | None) -> None:
        self._core.error_type_pattern = value

    @property
    def max_streaming_response_bytes(self) -> int:
        """Largest accepted streamed response (default 20 MiB); larger gets 413."""
        return self._core.max_streaming_response_bytes

    @max_streaming_response_bytes.setter
    def max_streaming_response_bytes(self, value: int) -> None:
        self._core.max_streaming_response_bytes = value

    def __repr__(self) -> str:
        where = self.address if self._httpd is not None else "not running"
        return f"RuntimeAPIServer({where}, next_count={self.next_count})"
