"""The strict Runtime API test server, driven over real HTTP with http.client and raw sockets."""

from __future__ import annotations

import base64
import http.client
import json
import socket
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import BinaryIO

import pytest

from lambdabox.testing import RuntimeAPIServer
from lambdabox.testing.runtime_api_server import (
    DEFAULT_FUNCTION_ARN,
    ERROR_TYPE_PATTERN,
    MAX_RESPONSE_BYTES,
)

RUNTIME = "/2018-06-01/runtime"
NEXT = f"{RUNTIME}/invocation/next"
ERROR_TYPE = "Lambda-Runtime-Function-Error-Type"
ERROR_BODY = "Lambda-Runtime-Function-Error-Body"

Reply = tuple[int, dict[str, str], bytes]


@pytest.fixture
def server() -> Iterator[RuntimeAPIServer]:
    with RuntimeAPIServer() as srv:
        yield srv


@pytest.fixture
def connect(server: RuntimeAPIServer) -> Iterator[Callable[[], http.client.HTTPConnection]]:
    opened: list[http.client.HTTPConnection] = []

    def open_connection() -> http.client.HTTPConnection:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        opened.append(conn)
        return conn

    yield open_connection
    for conn in opened:
        conn.close()


@pytest.fixture
def conn(connect: Callable[[], http.client.HTTPConnection]) -> http.client.HTTPConnection:
    return connect()


def call(
    conn: http.client.HTTPConnection,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    conn.request(method, path, body=body, headers=headers or {})
    resp = conn.getresponse()
    data = resp.read()
    return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data


def post(
    conn: http.client.HTTPConnection,
    request_id: str,
    action: str = "response",
    body: bytes = b"{}",
    headers: dict[str, str] | None = None,
) -> Reply:
    return call(conn, "POST", f"{RUNTIME}/invocation/{request_id}/{action}", body, headers)


def error_type(data: bytes) -> str:
    doc = json.loads(data)
    assert set(doc) == {"errorMessage", "errorType"}
    return str(doc["errorType"])


def read_reply(reader: BinaryIO) -> tuple[int, bytes]:
    """Read one response (status line, headers, Content-Length body) from a raw socket."""
    status = int(reader.readline().split()[1])
    length = 0
    while (line := reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return status, reader.read(length)


def wait_for(condition: Callable[[], bool], timeout: float = 2.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.002)


def test_next_returns_event_and_headers(
    server: RuntimeAPIServer, conn: http.client.HTTPConnection
) -> None:
    server.enqueue(
        {"hello": "world"},
        request_id="req-1",
        deadline_ms=1_900_000_000_123,
        invoked_function_arn="arn:aws:lambda:eu-west-1:111122223333:function:f",
        trace_id="Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1",
        client_context='{"custom":{"k":"v"}}',
        cognito_identity='{"cognitoIdentityId":"id"}',
        tenant_id="tenant-7",
        invocation_id="inv-9",
    )
    status, headers, body = call(conn, "GET", NEXT)
    assert status == 200
    assert json.loads(body) == {"hello": "world"}
    assert headers["content-length"] == str(len(body))
    assert headers["content-type"] == "application/json"
    assert headers["lambda-runtime-aws-request-id"] == "req-1"
    assert headers["lambda-runtime-deadline-ms"] == "1900000000123"
    assert headers["lambda-runtime-invoked-function-arn"].endswith(":function:f")
    assert headers["lambda-runtime-trace-id"].startswith("Root=1-5759e988")
    assert headers["lambda-runtime-client-context"] == '{"custom":{"k":"v"}}'
    assert headers["lambda-runtime-cognito-identity"] == '{"cognitoIdentityId":"id"}'
    assert headers["lambda-runtime-aws-tenant-id"] == "tenant-7"
    assert headers["lambda-runtime-invocation-id"] == "inv-9"
    assert post(conn, "req-1", headers={"Lambda-Runtime-Invocation-Id": "inv-9"})[0] == 202

    raw = server.enqueue(b"\x00raw", content_type="application/octet-stream", timeout_s=3)
    status, headers, body = call(conn, "GET", NEXT)
    now_ms = time.time() * 1000
    assert (status, body) == (200, b"\x00raw")
    assert headers["content-type"] == "application/octet-stream"
    assert headers["lambda-runtime-aws-request-id"] == raw.request_id
    assert headers["lambda-runtime-invoked-function-arn"] == DEFAULT_FUNCTION_ARN
    assert abs(int(headers["lambda-runtime-deadline-ms"]) - (now_ms + 3000)) < 1000
    assert raw.deadline_ms == int(headers["lambda-runtime-deadline-ms"])
    for optional in ("trace-id", "client-context", "cognito-identity", "aws-tenant-id"):
        assert f"lambda-runtime-{optional}" not in headers
    assert "lambda-runtime-invocation-id" not in headers
    assert post(conn, raw.request_id)[0] == 202

    default = server.enqueue()
    status, headers, body = call(conn, "GET", NEXT)
    assert (status, body) == (200, b"{}")
    deadline = int(headers["lambda-runtime-deadline-ms"])
    assert abs(deadline - (time.time() * 1000 + 300_000)) < 1000
    assert post(conn, default.request_id)[0] == 202
    assert server.next_count == 3
    assert server.violations == []


def test_response_is_accepted_and_recorded(
    server: RuntimeAPIServer, conn: http.client.HTTPConnection
) -> None:
    pending = server.enqueue("text event", content_type="text/plain")
    assert not pending.done()
    assert call(conn, "GET", NEXT)[2] == b"text event"
    reply = post(conn, pending.request_id, body=b'{"ok": true}', headers={"Content-Type": "x/y"})
    assert reply[0] == 202
    assert json.loads(reply[2]) == {"status": "OK"}
    assert pending.done()
    outcome = pending.wait(1)
    assert outcome.kind == "response"
    assert outcome.request_id == pending.request_id
    assert outcome.json() == {"ok": True}
    assert outcome.headers["content-type"] == "x/y"
    assert (outcome.streamed, outcome.chunks, dict(outcome.trailers)) == (False, (), {})
    assert outcome.error_type is None
    assert outcome.dispatched_at <= outcome.received_at
    assert [(r.method, r.path) for r in server.requests] == [
        ("GET", NEXT),
        ("POST", f"{RUNTIME}/invocation/{pending.request_id}/response"),
    ]
    assert server.requests[1].headers["content-length"] == "12"
    assert server.requests[0].peer_port == conn.sock.getsockname()[1]
    assert server.requests[1].peer_port == server.requests[0].peer_port
    assert server.violations == []


def test_error_post_is_recorded_and_validated(
    server: RuntimeAPIServer, conn: http.client.HTTPConnection
) -> None:
    good = server.enqueue()
    call(conn, "GET", NEXT)
    body = json.dumps({"errorMessage": "boom", "errorType": "ValueError", "stackTrace": []})
    headers = {
        "Lambda-Runtime-Function-Error-Type": "Function.ValueError",
        "Lambda-Runtime-Function-XRay-Error-Cause": '{"exceptions": []}',
    }
    assert post(conn, good.request_id, "error", body.encode(), headers)[0] == 202
    outcome = good.wait(1)
    assert (outcome.kind, outcome.error_type) == ("error", "Function.ValueError")
    assert outcome.json()["errorMessage"] == "boom"
    assert server.violations == []

    plain = server.enqueue()
    call(conn, "GET", NEXT)
    headers = {"Lambda-Runtime-Function-Error-Type": "ValueError"}
    assert post(conn, plain.request_id, "error", body.encode(), headers)[0] == 202
    assert server.violations == [], "the service accepts any error type by default"

    server.error_type_pattern = ERROR_TYPE_PATTERN
    bad = server.enqueue()
    call(conn, "GET", NEXT)
    headers = {
        "Lambda-Runtime-Function-Error-Type": "ValueError",
        "Lambda-Runtime-Function-XRay-Error-Cause": "not json",
    }
    assert post(conn, bad.request_id, "error", b"not json either", headers)[0] == 202
    assert bad.wait(1).error_type == "ValueError"
    assert len(server.violations) == 3
    assert "Category.Name" in server.violations[0]


def test_second_post_for_same_invocation_is_403(
    server: RuntimeAPIServer, conn: http.client.HTTPConnection
) -> None:
    pending = server.enqueue()
    call(conn, "GET", NEXT)
    assert post(conn, pending.request_id)[0] == 202
    for action in ("response", "error"):
        status, _, body = post(conn, pending.request_id, action)
        assert status == 403
        assert error_type(body) == "InvalidStateTransition"
    assert pending.wait(1).kind == "response"


def test_unknown_queued_or_stale_request_id_is_400(
    server: RuntimeAPIServer, conn: http.client.HTTPConnection
) -> None:
    status, _, body = post(conn, "no-such-id")
    assert (status, error_type(body)) == (400, "InvalidRequestID")
    first = server.enqueue()
    second = server.enqueue()
    call(conn, "GET", NEXT)
    assert post(conn, second.request_id, "error")[0] == 400  # still queued
    assert post(conn, first.request_id)[0] == 202
    call(conn, "GET", NEXT)  # a new /next makes `first` stale
    status, _, body = post(conn, first.request_id)
    assert (status, error_type(body)) == (400, "InvalidRequestID")
    assert post(conn, second.request_id)[0] == 202


def test_body_over_six_mib_plus_100_is_413(
    server: RuntimeAPIServer, conn: http.client.HTTPConnection
) -> None:
    pending = server.enqueue()
    call(conn, "GET", NEXT)
    status, _, body = post(conn, pending.request_id, body=b"x" * (MAX_RESPONSE_BYTES + 1))
    assert status == 413
    doc = json.loads(body)
    assert doc["errorType"] == "RequestEntityTooLarge"
    assert "6291556 bytes" in doc["errorMessage"]
    assert not pending.done()
    assert pending.rejections == ((413, "RequestEntityTooLarge"),)
    # The connection stays usable and the invocation in flight: exactly the limit is fine.
    assert post(conn, pending.request_id, body=b"y" * MAX_RESPONSE_BYTES)[0] == 202
    assert len(pending.wait(1).body) == MAX_RESPONSE_BYTES


def test_invalid_response_mode_is_400(
    server: RuntimeAPIServer, conn: http.client.HTTPConnection
) -> None:
    pending = server.enqueue()
    call(conn, "GET", NEXT)
    mode = "Lambda-Runtime-Function-Response-Mode"
    status, _, body = post(conn, pending.request_id, headers={mode: "buffered"})
    assert (status, error_type(body)) == (400, "InvalidFunctionResponseMode")
    assert post(conn, pending.request_id, body=b"all", headers={mode: "STREAMING"})[0] == 202
    outcome = pending.wait(1)
    assert outcome.streamed
    assert [data for _, data in outcome.chunks] == [b"all"]


def test_init_error_is_accepted_once(
    server: RuntimeAPIServer, conn: http.client.HTTPConnection
) -> None:
    assert server.wait_init_error(0) is None
    body = b'{"errorMessage": "no module", "errorType": "Runtime.ImportModuleError"}'
    headers = {"Lambda-Runtime-Function-Error-Type": "Runtime.ImportModuleError"}
    status, _, reply = call(conn, "POST", f"{RUNTIME}/init/error", body, headers)
    assert (status, json.loads(reply)) == (202, {"status": "OK"})
    posted = server.wait_init_error(1)
    assert posted is not None
    assert posted.body == body
    assert posted.error_type == "Runtime.ImportModuleError"
    assert posted.json()["errorMessage"] == "no module"
    status, _, reply = call(conn, "POST", f"{RUNTIME}/init/error", body, headers)
    assert (status, error_type(reply)) == (403, "InvalidStateTransition")
    assert server.violations == []


def test_init_error_after_first_next_is_403(
    server: RuntimeAPIServer, conn: http.client.HTTPConnection
) -> None:
    assert server.wait_first_next(0) is None
    pending = server.enqueue()
    before = time.monotonic()
    call(conn, "GET", NEXT)
    first = server.wait_first_next(1)
    assert first is not None
    assert before <= first <= time.monotonic()
    headers = {"Lambda-Runtime-Function-Error-Type": "Runtime.Unknown"}
    status, _, reply = call(conn, "POST", f"{RUNTIME}/init/error", b"{}", headers)
    assert (status, error_type(reply)) == (403, "InvalidStateTransition")
    assert server.wait_init_error(0) is None
    assert post(conn, pending.request_id)[0] == 202


def test_restore_endpoints_only_before_first_next(
    server: RuntimeAPIServer, conn: http.client.HTTPConnection
) -> None:
    assert not server.wait_restore_next(0)
    assert call(conn, "GET", f"{RUNTIME}/restore/next")[::2] == (200, b"")
    assert server.wait_restore_next(0)
    headers = {"Lambda-Runtime-Function-Error-Type": "Runtime.AfterRestoreError"}
    status, _, _ = call(conn, "POST", f"{RUNTIME}/restore/error", b'{"errorMessage":"x"}', headers)
    assert status == 202
    assert [p.error_type for p in server.restore_errors] == ["Runtime.AfterRestoreError"]
    pending = server.enqueue()
    call(conn, "GET", NEXT)
    status, _, reply = call(conn, "GET", f"{RUNTIME}/restore/next")
    assert (status, error_type(reply)) == (403, "InvalidStateTransition")
    assert post(conn, pending.request_id)[0] == 202
    assert server.violations == []


def test_streamed_response_records_chunks_with_times_and_trailers(
    server: RuntimeAPIServer,
) -> None:
    pending = server.enqueue(invocation_id="inv-s")
    error = base64.b64encode(json.dumps({"errorMessage": "late", "errorType": "E"}).encode())
    address = ("127.0.0.1", server.port)
    with socket.create_connection(address, timeout=5) as sock, sock.makefile("rb") as reader:
        sock.sendall(f"GET {NEXT} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        assert read_reply(reader)[0] == 200
        head = (
            f"POST {RUNTIME}/invocation/{pending.request_id}/response HTTP/1.1\r\n"
            "Host: x\r\nTransfer-Encoding: chunked\r\n"
            "Lambda-Runtime-Function-Response-Mode: streaming\r\n"
            "Lambda-Runtime-Invocation-Id: inv-s\r\n"
            f"Trailer: {ERROR_TYPE}, {ERROR_BODY}\r\n"
            "\r\n"
        )
        sock.sendall(head.encode() + b"6\r\nhello \r\n")
        time.sleep(0.06)
        sock.sendall(b"5;ext=1\r\nworld\r\n")
        sock.sendall(
            f"0\r\n{ERROR_TYPE}: Function.StreamError\r\n{ERROR_BODY}: ".encode()
            + error
            + b"\r\n\r\n"
        )
        assert read_reply(reader) == (202, b'{"status":"OK"}')
    outcome = pending.wait(1)
    assert outcome.streamed
    assert outcome.body == b"hello world"
    assert [data for _, data in outcome.chunks] == [b"hello ", b"world"]
    (first, _), (second, _) = outcome.chunks
    assert second - first >= 0.03
    assert outcome.trailers["lambda-runtime-function-error-type"] == "Function.StreamError"
    assert base64.b64decode(outcome.trailers["lambda-runtime-function-error-body"]) == (
        base64.b64decode(error)
    )
    assert outcome.error_type == "Function.StreamError"
    assert server.violations == []


def test_unknown_path_or_method_is_404_and_a_violation(
    server: RuntimeAPIServer, conn: http.client.HTTPConnection
) -> None:
    status, _, body = call(conn, "GET", f"{RUNTIME}/nope")
    assert (status, error_type(body)) == (404, "UnknownEndpoint")
    assert call(conn, "POST", NEXT, b"{}")[0] == 404
    assert call(conn, "DELETE", f"{RUNTIME}/init/error")[0] == 404
    assert len(server.violations) == 3
    assert f"GET {RUNTIME}/nope" in server.violations[0]


def test_missing_or_wrong_invocation_id_echo_is_a_violation(
    server: RuntimeAPIServer, conn: http.client.HTTPConnection
) -> None:
    for sent in (None, "other", "inv-1"):
        pending = server.enqueue(invocation_id="inv-1", request_id=f"r-{sent}")
        call(conn, "GET", NEXT)
        headers: dict[str, str] = {} if sent is None else {"Lambda-Runtime-Invocation-Id": sent}
        assert post(conn, pending.request_id, headers=headers)[0] == 202
    assert len(server.violations) == 2
    assert all("inv-1" in text for text in server.violations)


def test_abandoning_an_invocation_is_a_violation(
    server: RuntimeAPIServer, conn: http.client.HTTPConnection
) -> None:
    abandoned = server.enqueue()
    server.enqueue()
    call(conn, "GET", NEXT)
    call(conn, "GET", NEXT)
    assert len(server.violations) == 1
    assert abandoned.request_id in server.violations[0]


def test_malformed_http_is_rejected_and_a_violation(server: RuntimeAPIServer) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(b"NONSENSE\r\n\r\n")
        data = b""
        while chunk := sock.recv(4096):
            data += chunk
    assert data.startswith(b"HTTP/1.1 400 ")
    assert len(server.violations) == 1


def test_stop_unblocks_a_waiting_next() -> None:
    server = RuntimeAPIServer().start()
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        with ThreadPoolExecutor(1) as pool:
            waiting = pool.submit(call, conn, "GET", NEXT)
            wait_for(lambda: server.next_count == 1)
            started = time.monotonic()
            server.stop()
            try:
                status = waiting.result(timeout=2)[0]
            except (ConnectionError, http.client.HTTPException):
                status = 0  # closed without an answer: also fine
            assert status in (0, 500)
            assert time.monotonic() - started < 1.5
    finally:
        conn.close()
        server.stop()
    with pytest.raises(RuntimeError):
        server.enqueue()


def test_stop_fails_pending_waits_at_once() -> None:
    with RuntimeAPIServer() as server:
        pending = server.enqueue()
    started = time.monotonic()
    with pytest.raises(TimeoutError, match="stopped"):
        pending.wait(5)
    assert time.monotonic() - started < 1


def test_wait_times_out_with_state_in_message(server: RuntimeAPIServer) -> None:
    pending = server.enqueue(request_id="slow")
    with pytest.raises(TimeoutError, match=r"slow.*still queued"):
        pending.wait(0.01)


def test_concurrent_next_waiters_each_get_a_different_invocation(
    server: RuntimeAPIServer,
    connect: Callable[[], http.client.HTTPConnection],
) -> None:
    workers = [connect() for _ in range(3)]
    with ThreadPoolExecutor(len(workers)) as pool:
        futures = [pool.submit(call, worker, "GET", NEXT) for worker in workers]
        wait_for(lambda: server.next_count == len(workers))
        pending = [server.enqueue({"n": n}) for n in range(len(workers))]
        replies = [future.result(timeout=2) for future in futures]
    got = [headers["lambda-runtime-aws-request-id"] for _, headers, _ in replies]
    assert sorted(got) == sorted(p.request_id for p in pending)
    poster = connect()  # a request id may be posted from any connection
    for p in pending:
        assert post(poster, p.request_id)[0] == 202
    assert server.violations == []


def test_a_disconnected_waiter_does_not_take_an_invocation(
    server: RuntimeAPIServer, conn: http.client.HTTPConnection
) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as gone:
        gone.sendall(f"GET {NEXT} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        wait_for(lambda: server.next_count == 1)
    with ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(call, conn, "GET", NEXT)
        wait_for(lambda: server.next_count == 2)
        pending = server.enqueue()
        status, headers, _ = waiting.result(timeout=2)
    assert (status, headers["lambda-runtime-aws-request-id"]) == (200, pending.request_id)


def test_requests_are_not_recorded_when_turned_off() -> None:
    with RuntimeAPIServer(record_requests=False) as server:
        quiet = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        try:
            assert call(quiet, "GET", f"{RUNTIME}/restore/next")[0] == 200
        finally:
            quiet.close()
        assert server.requests == []
