"""The public facade: :class:`RuntimeAPIServer` (lifecycle, queueing, records)."""

from __future__ import annotations

import contextlib
import re
import socket
import threading
import time
from types import TracebackType

from lambdabox.testing._runtime_api.core import Core
from lambdabox.testing._runtime_api.invocation import PendingInvocation, new_invocation
from lambdabox.testing._runtime_api.records import Posted, RecordedRequest
from lambdabox.testing._runtime_api.transport import RuntimeHTTPServer


class RuntimeAPIServer:
    """Strict Lambda Runtime API server; see :mod:`lambdabox.testing.runtime_api_server`."""

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, *, record_requests: bool = True
    ) -> None:
        self._host = host
        self._port = port
        self._core = Core(record_requests)
        self._httpd: RuntimeHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._started = False

    # -- lifecycle

    def start(self) -> RuntimeAPIServer:
        """Bind and serve in a daemon thread; returns ``self``."""
        if self._started:
            raise RuntimeError("RuntimeAPIServer.start() may only be called once")
        self._started = True
        httpd = RuntimeHTTPServer((self._host, self._port), self._core)
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
        inv = new_invocation(
            event,
            content_type=content_type,
            request_id=request_id,
            deadline_ms=deadline_ms,
            timeout_s=timeout_s,
            invoked_function_arn=invoked_function_arn,
            trace_id=trace_id,
            client_context=client_context,
            cognito_identity=cognito_identity,
            tenant_id=tenant_id,
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
