"""The HTTP server's bounds over real sockets: idle and slow peers, the connection cap.

Each test runs an :class:`HTTPServer` with short :class:`Limits` on its own event
loop in a background thread.  The timeouts are a fraction of a second so that
nothing waits long; the tests check what happens (closed, 408, 503, served), not
how long it took.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Coroutine, Iterator
from dataclasses import replace
from typing import Any, TypeVar

import pytest

from lambdabox.emulator.httpserver import RUNTIME_API, HTTPServer, Limits, Request, Responder

T = TypeVar("T")
SHORT = 0.3
"""Every timeout under test, in seconds."""
WAIT = 10.0
"""How long a client waits for something that must happen."""


class BoundedServer:
    """An :class:`HTTPServer` with the given limits, its handler gated by ``release``."""

    def __init__(self, limits: Limits) -> None:
        self.loop = asyncio.new_event_loop()
        self.release = threading.Event()
        self.bodies: list[bytes] = []
        self.server = HTTPServer(self._handle, name="bounded", limits=limits)
        self._thread = threading.Thread(target=self.loop.run_forever, name="bounds-test")
        self._thread.start()
        self.call(self.server.start())
        self.port = self.server.address[1]

    async def _handle(self, req: Request, resp: Responder) -> None:
        if req.target == "/wait":  # a long poll (like /next) or a long function
            while not self.release.is_set():
                await asyncio.sleep(0.02)
        if req.target == "/stream":  # reads a body that pauses for longer than the timers
            body = b"".join([piece async for piece in req.chunks()])
        else:
            body = await req.body()
        self.bodies.append(body)
        resp.send(200, [("Content-Type", "text/plain")], b"ok " + body)

    def call(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(WAIT)

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=WAIT)

    def stop(self) -> None:
        self.release.set()
        try:
            self.call(self.server.close())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(WAIT)
            self.loop.close()


@pytest.fixture
def bounded(request: pytest.FixtureRequest) -> Iterator[BoundedServer]:
    limits = getattr(request, "param", Limits(1000, SHORT, SHORT, SHORT))
    server = BoundedServer(limits)
    try:
        yield server
    finally:
        server.stop()


def read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One whole response (Content-Length framed) off the socket."""
    data = b""
    while b"\r\n\r\n" not in data:
        piece = sock.recv(65536)
        assert piece, f"connection closed before a response: {data!r}"
        data += piece
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        piece = sock.recv(65536)
        assert piece, "connection closed inside a response body"
        rest += piece
    return status, headers, rest[:length]


def closed_by_server(sock: socket.socket) -> bool:
    """True once the server closes (EOF or reset) within :data:`WAIT`; False if it stays open."""
    sock.settimeout(WAIT)
    try:
        while True:
            piece = sock.recv(65536)
            if not piece:
                return True
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def post(path: str, body: bytes = b"hi") -> bytes:
    return f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body


def test_an_idle_keep_alive_connection_is_closed_quietly(bounded: BoundedServer) -> None:
    with bounded.connect() as sock:
        sock.sendall(post("/"))
        assert read_response(sock)[0] == 200
        assert closed_by_server(sock)  # nothing more sent: closed, no response bytes
    with bounded.connect() as never_asked:
        assert closed_by_server(never_asked)


def test_a_slowloris_head_gets_408_however_it_trickles(bounded: BoundedServer) -> None:
    with bounded.connect() as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\n")
        answer = b""
        sock.settimeout(0.05)
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            try:
                sock.sendall(b"X")  # a byte every 50 ms: never idle, never complete
                piece = sock.recv(65536)
            except (TimeoutError, BlockingIOError):
                continue
            except (BrokenPipeError, ConnectionResetError):
                break
            if not piece:
                break
            answer += piece
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 408 "), answer
        assert b"Connection: close" in head
        assert json.loads(body)["errorType"] == "RequestTimeout"


def test_a_stalled_body_gets_408_and_the_connection_closes(bounded: BoundedServer) -> None:
    with bounded.connect() as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
        status, headers, body = read_response(sock)
        assert status == 408
        assert headers["connection"] == "close"
        assert "no request body bytes" in json.loads(body)["errorMessage"]
        assert closed_by_server(sock)
    assert bounded.bodies == []


def test_a_long_poll_and_a_long_handler_outlive_every_timer(bounded: BoundedServer) -> None:
    """A request in progress is not the peer being idle: /next may wait for minutes."""
    with bounded.connect() as polling, bounded.connect() as invoking:
        polling.sendall(b"GET /wait HTTP/1.1\r\nHost: x\r\n\r\n")
        invoking.sendall(post("/wait", b"event"))
        time.sleep(SHORT * 5)  # both wait well past the idle, head and body timeouts
        bounded.release.set()
        assert read_response(polling)[0] == 200
        assert read_response(invoking)[2] == b"ok event"
        polling.sendall(post("/"))  # and the connections stay usable
        assert read_response(polling)[0] == 200


@pytest.mark.parametrize("bounded", [replace(RUNTIME_API, head_timeout=SHORT)], indirect=True)
def test_runtime_api_bounds_let_a_connection_rest_and_a_stream_pause(
    bounded: BoundedServer,
) -> None:
    """The Runtime API's setting: the runtime's connection rests while its function runs,
    and a streamed response may pause as long; a slow request head is still cut off."""
    with bounded.connect() as sock:
        sock.sendall(b"GET /next HTTP/1.1\r\nHost: x\r\n\r\n")
        assert read_response(sock)[0] == 200
        time.sleep(SHORT * 3)  # the function runs: the connection rests
        sock.sendall(b"POST /stream HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        for piece in (b"one", b"two"):
            sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
            time.sleep(SHORT * 3)
        sock.sendall(b"0\r\n\r\n")
        assert read_response(sock)[2] == b"ok onetwo"
    with bounded.connect() as slow:
        slow.sendall(b"POST /response HTTP/1.1\r\n")
        assert read_response(slow)[0] == 408


@pytest.mark.parametrize("bounded", [Limits(2, None, None, None)], indirect=True)
def test_beyond_the_cap_new_connections_get_503_while_open_ones_are_served(
    bounded: BoundedServer,
) -> None:
    busy = bounded.connect()
    idle = bounded.connect()
    try:
        busy.sendall(post("/wait", b"first"))
        idle.sendall(post("/", b"warm"))
        assert read_response(idle)[2] == b"ok warm"  # both counted in now
        for _ in range(3):
            with bounded.connect() as extra:
                extra.sendall(post("/", b"refused"))
                status, headers, body = read_response(extra)
                assert status == 503
                assert headers["connection"] == "close"
                error = json.loads(body)
                assert error["errorType"] == "ServiceException"
                assert "at most 2 connections" in error["errorMessage"]
                assert closed_by_server(extra)
        bounded.release.set()
        assert read_response(busy)[2] == b"ok first"
        idle.sendall(post("/", b"again"))
        assert read_response(idle)[2] == b"ok again"
    finally:
        busy.close()
        idle.close()
    deadline = time.monotonic() + WAIT  # the server notices the closes, then admits again
    while True:
        with bounded.connect() as sock:
            sock.sendall(post("/", b"later"))
            status, _, body = read_response(sock)
        if status == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert (status, body) == (200, b"ok later")
    assert b"refused" not in b"".join(bounded.bodies)


def test_limits_reject_nonsense_values() -> None:
    with pytest.raises(ValueError, match="max_connections must be at least 1"):
        Limits(max_connections=0)
    with pytest.raises(ValueError, match="idle_timeout must be a positive number"):
        Limits(idle_timeout=0)
