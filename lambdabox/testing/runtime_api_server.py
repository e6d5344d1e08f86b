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

from lambdabox.testing._runtime_api.invocation import PendingInvocation
from lambdabox.testing._runtime_api.protocol import (
    DEFAULT_FUNCTION_ARN,
    ERROR_TYPE_PATTERN,
    MAX_RESPONSE_BYTES,
)
from lambdabox.testing._runtime_api.records import Outcome, Posted, RecordedRequest
from lambdabox.testing._runtime_api.server import RuntimeAPIServer

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
