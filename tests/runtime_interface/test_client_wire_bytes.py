"""The client's requests byte for byte, read by a raw TCP peer (no HTTP library between).

The per-invoke requests are built from parts encoded once at start-up (the `/next` head,
the Content-Type lines); these tests pin the bytes they must produce, for every shape of
response post, and the trace-id environment handling around them.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
from pathlib import Path

from lambdabox.testing.runtime_process import runtime_env
from runtime_interface._client import user_agent

APP = """
import os

def handler(event, context):
    seen = os.environ.get("_X_AMZN_TRACE_ID")
    if event.get("set"):
        os.environ["_X_AMZN_TRACE_ID"] = event["set"]
    if event.get("raw"):
        return b"\\x00raw"
    return {"trace": seen, "n": event.get("n")}
"""


class RawPeer:
    """A one-connection Runtime API peer: answers each `/next` with the next scripted event
    (headers given as bytes) and each post with 202, and keeps every request's raw bytes."""

    def __init__(self, events: list[bytes]) -> None:
        self.events = list(events)
        self.requests: list[bytes] = []
        self.done = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self._listener.getsockname()[1]}"
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        conn, _ = self._listener.accept()
        buf = b""
        with conn:
            while True:
                while b"\r\n\r\n" not in buf:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buf += data
                end = buf.index(b"\r\n\r\n") + 4
                head = buf[:end]
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                while len(buf) < end + length:
                    buf += conn.recv(65536)
                self.requests.append(buf[: end + length])
                buf = buf[end + length :]
                if head.startswith(b"GET "):
                    if not self.events:
                        self.done.set()
                        return  # leave the client waiting; the test stops it
                    conn.sendall(self.events.pop(0))
                else:
                    body = b'{"status":"OK"}'
                    conn.sendall(
                        b"HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\n"
                        b"Content-Length: %d\r\n\r\n%b" % (len(body), body)
                    )

    def close(self) -> None:
        self._listener.close()


def _event(request_id: str, body: bytes, extra: bytes = b"") -> bytes:
    return (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        b"Lambda-Runtime-Aws-Request-Id: %b\r\n"
        b"Lambda-Runtime-Deadline-Ms: 9999999999999\r\n"
        b"Lambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:123456789012:function:f\r\n"
        b"%bContent-Length: %d\r\n\r\n%b" % (request_id.encode(), extra, len(body), body)
    )


def test_requests_byte_for_byte(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(APP)
    peer = RawPeer(
        [
            _event("r1", b'{"n": 1, "set": "user-set"}'),
            _event("r2", b'{"n": 2}'),
            _event("r3", b'{"n": 3}', b"Lambda-Runtime-Trace-Id: Root=1-abc;Sampled=1\r\n"),
            _event("r4", b'{"raw": true}', b"Lambda-Runtime-Invocation-Id: inv-4\r\n"),
            _event("r5", b'{"n": 5}', b"Lambda-Runtime-Invocation-Id: inv-5\r\n"),
            _event("r6", b'{"raw": true}'),
        ]
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "runtime_interface", "app.handler"],
        cwd=tmp_path,
        env=runtime_env(peer.address),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        served = peer.done.wait(30)
    finally:
        proc.kill()
        _, stderr = proc.communicate()
        peer.close()
    assert served, stderr.decode()
    start = b"Host: %b\r\nUser-Agent: %b\r\n" % (peer.address.encode(), user_agent().encode())
    get_next = b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\n" + start
    get_next += b"Content-Length: 0\r\n\r\n"

    def post(request_id: str, content_type: bytes, body: bytes, extra: bytes = b"") -> bytes:
        line = b"POST /2018-06-01/runtime/invocation/%b/response HTTP/1.1\r\n"
        return (
            line % request_id.encode()
            + start
            + b"Content-Type: %b\r\n%bContent-Length: %d\r\n\r\n%b"
            % (content_type, extra, len(body), body)
        )

    def result(trace: str | None, n: int | None) -> bytes:
        return json.dumps({"trace": trace, "n": n}).encode()

    json_type, raw_type = b"application/json", b"application/unknown"
    assert peer.requests == [
        get_next,
        post("r1", json_type, result(None, 1)),
        get_next,
        # No trace id on this invoke: the value the handler set is gone.
        post("r2", json_type, result(None, 2)),
        get_next,
        post("r3", json_type, result("Root=1-abc;Sampled=1", 3)),
        get_next,
        post("r4", raw_type, b"\x00raw", b"Lambda-Runtime-Invocation-Id: inv-4\r\n"),
        get_next,
        post("r5", json_type, result(None, 5), b"Lambda-Runtime-Invocation-Id: inv-5\r\n"),
        get_next,
        post("r6", raw_type, b"\x00raw"),
        get_next,
    ]


def test_trace_env_key_is_os_environs_own() -> None:
    import os

    from runtime_interface import _loop

    assert os.environ.encodekey(_loop.TRACE_ENV) == _loop._TRACE_ENV_KEY
    os.environ[_loop.TRACE_ENV] = "Root=1-x"
    try:
        assert _loop._trace_env_set()
    finally:
        del os.environ[_loop.TRACE_ENV]
    assert not _loop._trace_env_set()
