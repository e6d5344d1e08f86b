"""RuntimeAPIClient: the Runtime API calls, one method per endpoint, nothing else."""

import sys
import time

from . import protocol as p
from ._errors import RuntimeAPIError
from ._http import Connection, ConnectionLost, Response, encode_headers
from ._messages import ErrorPayload, InvocationRequest

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

VERSION = "0.1.0"
_STARTUP_DELAYS_S = (0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.4, 0.8, 1.0, 1.0, 1.0, 1.0)


def user_agent() -> str:
    py = ".".join(map(str, sys.version_info[:3]))
    return f"lambdabox-runtime-interface/{VERSION} python/{py}"


class RuntimeAPIClient:
    """A client of the Runtime API at `address` ('host:port'), over one keep-alive connection."""

    def __init__(self, address: str, *, ignore_init_error_conflict: bool = False) -> None:
        self.address = address
        self._conn = Connection(address, user_agent())
        # Multi-concurrency: another worker may already have posted the init error.
        self._ignore_init_conflict = ignore_init_error_conflict
        # The per-invoke requests' constant parts, encoded once.
        self._next_head = self._conn.head("GET", p.NEXT_PATH, b"", b"Content-Length: 0\r\n")
        self._type_lines = {
            kind: encode_headers([("Content-Type", kind)])
            for kind in (p.CONTENT_TYPE_JSON, p.CONTENT_TYPE_BYTES)
        }

    def connect(self, delays: "Iterable[float]" = _STARTUP_DELAYS_S) -> None:
        """Connect, retrying with backoff while the API is not reachable yet (start-up only)."""
        for delay in (*delays, None):
            try:
                self._conn.connect()
                return
            except OSError as exc:
                if delay is None:
                    raise RuntimeAPIError(
                        "CONNECT", self._url(""), None, str(exc).encode()
                    ) from exc
                time.sleep(delay)

    def close(self) -> None:
        self._conn.close()

    def next(self) -> "InvocationRequest":
        """Block until the next invocation arrives."""
        try:
            resp = self._conn.exchange(self._next_head)
        except ConnectionLost as exc:
            raise RuntimeAPIError("GET", self._url(p.NEXT_PATH), None, str(exc).encode()) from exc
        if resp.status != 200:
            self._check(resp.status, 200, "GET", p.NEXT_PATH, resp.body)
        return InvocationRequest(resp.headers, resp.body)

    def post_response(
        self, invocation: "InvocationRequest", body: bytes, content_type: str
    ) -> None:
        path = p.RESPONSE_PATH.format(request_id=invocation.request_id)
        lines = self._type_lines.get(content_type)
        if lines is None or invocation.invocation_id:
            headers = [("Content-Type", content_type), *_invocation_id(invocation)]
            self._call("POST", path, 202, body, headers)
            return
        head = self._conn.head("POST", path, lines, b"Content-Length: %d\r\n" % len(body))
        try:
            resp = self._conn.exchange(head, body)
        except ConnectionLost as exc:
            raise RuntimeAPIError("POST", self._url(path), None, str(exc).encode()) from exc
        if resp.status != 202:
            self._check(resp.status, 202, "POST", path, resp.body)

    def post_stream(
        self,
        invocation: "InvocationRequest",
        chunks: "Iterator[bytes]",
        content_type: str,
        failure: "list[ErrorPayload]",
    ) -> None:
        """Stream `chunks` chunked; an error appended to `failure` is sent in the trailers."""
        headers = [
            ("Content-Type", content_type),
            (p.RESPONSE_MODE, p.RESPONSE_MODE_STREAMING),
            ("Trailer", f"{p.FUNCTION_ERROR_TYPE}, {p.FUNCTION_ERROR_BODY}"),
            *_invocation_id(invocation),
        ]
        path = p.RESPONSE_PATH.format(request_id=invocation.request_id)

        def trailers() -> list[tuple[str, str]]:
            if not failure:
                return []
            import binascii

            body = binascii.b2a_base64(failure[0].to_json(), newline=False).decode("ascii")
            return [(p.FUNCTION_ERROR_TYPE, failure[0].error_type), (p.FUNCTION_ERROR_BODY, body)]

        try:
            resp = self._conn.request_chunked("POST", path, headers, chunks, trailers)
        except ConnectionLost as exc:
            raise RuntimeAPIError("POST", self._url(path), None, str(exc).encode()) from exc
        self._check(resp.status, 202, "POST", path, resp.body)

    def post_error(self, invocation: "InvocationRequest", error: "ErrorPayload") -> None:
        headers = [
            ("Content-Type", p.CONTENT_TYPE_JSON),
            (p.FUNCTION_ERROR_TYPE, error.error_type),
            *_invocation_id(invocation),
        ]
        cause = error.xray_header()
        if cause is not None:
            headers.append((p.XRAY_ERROR_CAUSE, cause))
        path = p.ERROR_PATH.format(request_id=invocation.request_id)
        self._call("POST", path, 202, error.to_json(), headers)

    def post_init_error(self, error: "ErrorPayload", error_type: "str | None" = None) -> None:
        """Report a failed init; `error_type` overrides the header (body keeps its type)."""
        kind = error_type or error.error_type
        headers = [("Content-Type", p.CONTENT_TYPE_JSON), (p.FUNCTION_ERROR_TYPE, kind)]
        try:
            self._call("POST", p.INIT_ERROR_PATH, 202, error.to_json(), headers)
        except RuntimeAPIError as exc:
            if not (self._ignore_init_conflict and exc.status == 403):
                raise

    def restore_next(self) -> None:
        self._call("GET", p.RESTORE_NEXT_PATH, 200)

    def post_restore_error(self, error: "ErrorPayload", error_type: "str | None" = None) -> None:
        kind = error_type or error.error_type
        headers = [("Content-Type", p.CONTENT_TYPE_JSON), (p.FUNCTION_ERROR_TYPE, kind)]
        self._call("POST", p.RESTORE_ERROR_PATH, 202, error.to_json(), headers)

    def _call(
        self,
        method: str,
        path: str,
        expected: int,
        body: bytes = b"",
        headers: "list[tuple[str, str]] | None" = None,
    ) -> "Response":
        try:
            resp = self._conn.request(method, path, body, headers or ())
        except ConnectionLost as exc:
            raise RuntimeAPIError(method, self._url(path), None, str(exc).encode()) from exc
        self._check(resp.status, expected, method, path, resp.body)
        return resp

    def _check(
        self, status: int, expected: int, method: str, path: str, body: "bytes | memoryview"
    ) -> None:
        if status != expected:
            raise RuntimeAPIError(method, self._url(path), status, bytes(body))

    def _url(self, path: str) -> str:
        return f"http://{self.address}{path}"


def _invocation_id(invocation: "InvocationRequest") -> list[tuple[str, str]]:
    if invocation.invocation_id:
        return [(p.INVOCATION_ID, invocation.invocation_id)]
    return []
