"""The emulator's HTTP/1.1 server over real sockets: framing, streaming, limits, errors, shutdown.

Each test runs an :class:`HTTPServer` on its own event loop in a background
thread and talks to it with raw sockets (to control every byte and to read
trailers) or :mod:`http.client`.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO, TypeVar

import pytest

from lambdabox.emulator.httpserver import HTTPError, HTTPServer, Request, Responder

T = TypeVar("T")
Handler = Callable[[Request, Responder], Awaitable[None]]
TIMEOUT = 5.0


class ServerThread:
    """An :class:`HTTPServer` on its own event loop in a background thread."""

    def __init__(self, handler: Handler) -> None:
        self.loop = asyncio.new_event_loop()
        self.server = HTTPServer(handler, name="test")
        self._thread = threading.Thread(target=self.loop.run_forever, name="httpserver-test")
        self._thread.start()
        self._stopped = False
        self.call(self.server.start())
        self.port = self.server.address[1]

    def call(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(TIMEOUT)

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        try:
            self.call(self.server.close())
            self.call(self.loop.shutdown_asyncgens())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(TIMEOUT)
            self.loop.close()


class Gate:
    """Opened from the test thread, awaited by a handler on the server's loop."""

    def __init__(self, server: ServerThread) -> None:
        self._server = server
        self._event = server.call(_new_event())

    def open(self) -> None:
        self._server.loop.call_soon_threadsafe(self._event.set)

    async def wait(self) -> None:
        await asyncio.wait_for(self._event.wait(), TIMEOUT)


async def _new_event() -> asyncio.Event:
    return asyncio.Event()  # bound to the server's loop (Python < 3.10 binds at creation)


@dataclass
class Response:
    status: int
    reason: str
    headers: dict[str, str]
    body: bytes = b""
    chunks: list[bytes] = field(default_factory=list)
    trailers: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body)


def read_fields(rfile: BinaryIO) -> dict[str, str]:
    fields: dict[str, str] = {}
    while True:
        line = rfile.readline()
        assert line.endswith(b"\r\n"), f"incomplete field line {line!r}"
        if line == b"\r\n":
            return fields
        name, sep, value = line.decode("latin-1").partition(":")
        assert sep, line
        fields[name.lower()] = value.strip()


def read_head(rfile: BinaryIO) -> Response:
    line = rfile.readline()
    if not line:
        raise EOFError("connection closed before a response")
    version, status, reason = line.decode("latin-1").rstrip("\r\n").split(" ", 2)
    assert version == "HTTP/1.1", line
    return Response(int(status), reason, read_fields(rfile))


def read_chunk(rfile: BinaryIO) -> bytes:
    """One chunk of a chunked body; b"" for the last chunk (trailers not yet read)."""
    line = rfile.readline()
    if not line:
        raise EOFError("connection closed inside a chunked body")
    size = int(line.split(b";")[0], 16)
    if size == 0:
        return b""
    data = rfile.read(size)
    assert len(data) == size
    assert rfile.read(2) == b"\r\n"
    return data


def read_response(rfile: BinaryIO, *, head_only: bool = False) -> Response:
    """A whole response as a strict client sees it (rejects anything unexpected)."""
    resp = read_head(rfile)
    while resp.status == 100:
        resp = read_head(rfile)
    if head_only or resp.status in (204, 304):
        return resp
    if resp.headers.get("transfer-encoding") == "chunked":
        assert "content-length" not in resp.headers
        while chunk := read_chunk(rfile):
            resp.chunks.append(chunk)
        resp.trailers = read_fields(rfile)
        resp.body = b"".join(resp.chunks)
    elif "content-length" in resp.headers:
        size = int(resp.headers["content-length"])
        resp.body = rfile.read(size)
        assert len(resp.body) == size
    else:
        resp.body = rfile.read()
    return resp


class Client:
    """A raw socket to the server with a buffered reader."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.rfile = self.sock.makefile("rb")

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def request(self, data: bytes, *, head_only: bool = False) -> Response:
        self.send(data)
        return read_response(self.rfile, head_only=head_only)

    def closed_by_server(self) -> bool:
        """Whether the server closed the connection (EOF or reset, within the timeout)."""
        try:
            return self.rfile.read(1) == b""
        except ConnectionResetError:
            return True

    def close(self) -> None:
        self.rfile.close()
        self.sock.close()


@pytest.fixture(autouse=True)
def no_leftover_threads() -> Iterator[None]:
    before = set(threading.enumerate())
    yield
    leftover = [t for t in threading.enumerate() if t not in before]
    assert not leftover, leftover


@pytest.fixture
def serve() -> Iterator[Callable[[Handler], ServerThread]]:
    servers: list[ServerThread] = []

    def start(handler: Handler) -> ServerThread:
        server = ServerThread(handler)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def connect() -> Iterator[Callable[[ServerThread], Client]]:
    clients: list[Client] = []

    def open_client(server: ServerThread) -> Client:
        client = Client(server.port)
        clients.append(client)
        return client

    yield open_client
    for client in clients:
        client.close()


@pytest.fixture
def http_conn() -> Iterator[Callable[[ServerThread], http.client.HTTPConnection]]:
    conns: list[http.client.HTTPConnection] = []

    def open_conn(server: ServerThread) -> http.client.HTTPConnection:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=TIMEOUT)
        conns.append(conn)
        return conn

    yield open_conn
    for conn in conns:
        conn.close()


async def echo(request: Request, responder: Responder) -> None:
    """Answer with the request body; describe the request in headers."""
    body = await request.body()
    headers = [
        ("X-Method", request.method),
        ("X-Target", request.target),
        ("X-Path", request.path),
        ("X-Query", request.query),
        ("X-Connection-Id", str(request.connection_id)),
        ("X-Peer", request.peer[0]),
        ("X-Headers", json.dumps(request.headers)),
        ("X-Trailers", json.dumps(request.trailers)),
    ]
    responder.send(200, headers, body)


def get(path: str = "/", extra: str = "") -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: test\r\n{extra}\r\n".encode()


def post(path: str, body: bytes, extra: str = "") -> bytes:
    head = f"POST {path} HTTP/1.1\r\nHost: test\r\nContent-Length: {len(body)}\r\n{extra}\r\n"
    return head.encode() + body


def chunked_head(path: str = "/", extra: str = "") -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n{extra}\r\n".encode()
    )


# -- basics ------------------------------------------------------------------------------


def test_get_and_post_with_content_length(serve: Any, http_conn: Any) -> None:
    server = serve(echo)
    conn = http_conn(server)
    conn.request("GET", "/a/b%20c?x=1&y=2")
    resp = conn.getresponse()
    assert resp.status == 200
    assert resp.read() == b""
    assert resp.getheader("X-Method") == "GET"
    assert resp.getheader("X-Target") == "/a/b%20c?x=1&y=2"
    assert resp.getheader("X-Path") == "/a/b%20c"
    assert resp.getheader("X-Query") == "x=1&y=2"
    assert resp.getheader("X-Peer") == "127.0.0.1"
    assert resp.getheader("Content-Length") == "0"
    assert resp.getheader("Date") is None

    conn.request("POST", "/invoke", body=b'{"hello": "world"}', headers={"X-Custom": "v"})
    resp = conn.getresponse()
    assert resp.status == 200
    assert resp.read() == b'{"hello": "world"}'
    headers = json.loads(resp.getheader("X-Headers") or "")
    assert headers["content-length"] == "18"
    assert headers["x-custom"] == "v"
    assert resp.getheader("X-Query") == ""


def test_repeated_headers_are_joined_and_leading_empty_lines_ignored(
    serve: Any, connect: Any
) -> None:
    client = connect(serve(echo))
    resp = client.request(b"\r\n" + get("/", "X-Rep: a\r\nx-rep:  b \r\nEmpty:\r\n"))
    headers = json.loads(resp.headers["x-headers"])
    assert headers["x-rep"] == "a, b"
    assert headers["empty"] == ""


def test_keep_alive_reuses_one_connection(serve: Any, connect: Any) -> None:
    server = serve(echo)
    client = connect(server)
    ids = set()
    for i in range(5):
        resp = client.request(post("/echo", b"body %d" % i))
        assert resp.status == 200
        assert resp.body == b"body %d" % i
        assert "connection" not in resp.headers
        ids.add(resp.headers["x-connection-id"])
    assert len(ids) == 1
    other = connect(server).request(get())
    assert other.headers["x-connection-id"] not in ids


def test_pipelined_requests_are_buffered_and_answered_in_order(serve: Any, connect: Any) -> None:
    client = connect(serve(echo))
    client.send(
        get("/one") + post("/two", b"2" * 1000) + chunked_head("/three") + b"1\r\n3\r\n0\r\n\r\n"
    )
    paths = []
    for _ in range(3):
        resp = read_response(client.rfile)
        paths.append((resp.headers["x-path"], len(resp.body)))
    assert paths == [("/one", 0), ("/two", 1000), ("/three", 1)]


def test_head_request_gets_length_without_body(serve: Any, connect: Any) -> None:
    async def handler(request: Request, responder: Responder) -> None:
        responder.send(200, [("Content-Type", "text/plain")], b"twelve bytes")

    client = connect(serve(handler))
    resp = client.request(b"HEAD / HTTP/1.1\r\nHost: test\r\n\r\n", head_only=True)
    assert resp.headers["content-length"] == "12"
    assert client.request(get()).body == b"twelve bytes"


# -- request bodies ---------------------------------------------------------------------


@pytest.mark.parametrize("piece", [0, 1, 7])
def test_chunked_request_with_trailers(serve: Any, connect: Any, piece: int) -> None:
    client = connect(serve(echo))
    message = chunked_head("/echo", "Trailer: X-Checksum\r\n") + (
        b"5\r\nhello\r\n6;name=value\r\n world\r\n0\r\nX-Checksum: abc\r\nX-Other:  1 \r\n\r\n"
    )
    if piece:
        for i in range(0, len(message), piece):
            client.send(message[i : i + piece])
        resp = read_response(client.rfile)
    else:
        resp = client.request(message)
    assert resp.status == 200
    assert resp.body == b"hello world"
    assert json.loads(resp.headers["x-trailers"]) == {"x-checksum": "abc", "x-other": "1"}
    assert "transfer-encoding" in json.loads(resp.headers["x-headers"])
    assert client.request(get()).status == 200  # the connection is still in sync


def test_chunks_are_delivered_as_they_arrive(serve: Any, connect: Any) -> None:
    seen: list[bytes] = []
    first = threading.Event()

    async def handler(request: Request, responder: Responder) -> None:
        async for chunk in request.chunks():
            seen.append(chunk)
            first.set()
        responder.send(200, [("X-T", request.trailers.get("x-t", "-"))], b"|".join(seen))

    server = serve(handler)
    client = connect(server)
    client.send(chunked_head() + b"6\r\nchunk1\r\n")
    assert first.wait(TIMEOUT)
    assert seen == [b"chunk1"]
    client.send(b"6\r\nchunk2\r\n0\r\nX-T: v\r\n\r\n")
    resp = read_response(client.rfile)
    assert resp.body == b"chunk1|chunk2"
    assert resp.headers["x-t"] == "v"

    # A Content-Length body is delivered as it arrives, too.
    seen.clear()
    first.clear()
    client.send(b"POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n01234")
    assert first.wait(TIMEOUT)
    assert seen == [b"01234"]
    client.send(b"56789")
    assert read_response(client.rfile).body == b"01234|56789"


def test_expect_100_continue(serve: Any, connect: Any) -> None:
    client = connect(serve(echo))
    client.send(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
    interim = read_head(client.rfile)
    assert (interim.status, interim.headers) == (100, {})
    client.send(b"hello")
    resp = read_response(client.rfile)
    assert (resp.status, resp.body) == (200, b"hello")
    assert "connection" not in resp.headers
    # Without Expect, no interim response.
    assert client.request(post("/", b"again")).body == b"again"


def test_expect_100_continue_refused_without_continue(serve: Any, connect: Any) -> None:
    async def handler(request: Request, responder: Responder) -> None:
        await request.body(limit=4)

    client = connect(serve(handler))
    client.send(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
    resp = read_response(client.rfile)
    assert resp.status == 413
    assert resp.headers["connection"] == "close"
    assert resp.json()["errorType"] == "RequestEntityTooLargeException"
    assert client.closed_by_server()


def test_expect_without_reading_the_body_closes(serve: Any, connect: Any) -> None:
    async def handler(request: Request, responder: Responder) -> None:
        responder.send(404)

    client = connect(serve(handler))
    resp = client.request(
        b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"
    )
    assert resp.status == 404
    assert resp.headers["connection"] == "close"
    assert client.closed_by_server()


@pytest.mark.parametrize("chunked", [False, True])
def test_body_too_large_gets_one_413(serve: Any, connect: Any, chunked: bool) -> None:
    calls = []

    async def handler(request: Request, responder: Responder) -> None:
        calls.append(request.path)
        await request.body(limit=1 << 20)  # BodyTooLarge escapes: the server answers 413
        responder.send(200)

    client = connect(serve(handler))
    body = os.urandom(2 << 20)
    if chunked:
        client.send(chunked_head())
        for i in range(0, len(body), 65536):
            client.send(b"%x\r\n%b\r\n" % (65536, body[i : i + 65536]))
        client.send(b"0\r\n\r\n")
    else:
        client.send(post("/", body))
    resp = read_response(client.rfile)
    assert resp.status == 413
    assert resp.headers["connection"] == "close"
    assert resp.json()["errorType"] == "RequestEntityTooLargeException"
    assert client.closed_by_server()
    assert calls == ["/"]


def test_body_limit_handled_by_the_handler(serve: Any, connect: Any) -> None:
    from lambdabox.emulator.httpserver import BodyTooLarge

    async def handler(request: Request, responder: Responder) -> None:
        try:
            await request.body(limit=10)
        except BodyTooLarge as exc:
            responder.send(exc.status, [("X-Kind", "mine")], b"too big")
            return
        responder.send(200)

    client = connect(serve(handler))
    assert client.request(post("/", b"small")).status == 200
    resp = client.request(post("/", b"x" * 11))
    assert (resp.status, resp.headers["x-kind"], resp.body) == (413, "mine", b"too big")
    assert client.closed_by_server()


def test_body_is_read_once_and_cached(serve: Any, connect: Any) -> None:
    async def handler(request: Request, responder: Responder) -> None:
        first = await request.body()
        second = await request.body()
        streamed = [chunk async for chunk in request.chunks()]
        responder.send(200, (), b"%d %d %d" % (first == second, len(first), len(streamed)))

    client = connect(serve(handler))
    assert client.request(post("/", b"abc")).body == b"1 3 1"


@pytest.mark.parametrize("chunked", [False, True])
def test_unread_body_is_drained(serve: Any, connect: Any, chunked: bool) -> None:
    async def handler(request: Request, responder: Responder) -> None:
        responder.send(204)

    client = connect(serve(handler))
    body = b"z" * 300_000
    for _ in range(2):
        if chunked:
            message = chunked_head() + b"%x\r\n%b\r\n0\r\n\r\n" % (len(body), body)
        else:
            message = post("/", body)
        resp = client.request(message)
        assert resp.status == 204
        assert "content-length" not in resp.headers
        assert "connection" not in resp.headers


def test_six_megabyte_round_trip(serve: Any, http_conn: Any) -> None:
    async def stream_echo(request: Request, responder: Responder) -> None:
        # http.client sends the whole body before it reads: answer once it is all in.
        pieces = [chunk async for chunk in request.chunks()]
        assert max(map(len, pieces)) <= 2 * 65536
        writer = responder.start(200, [("Content-Type", "application/octet-stream")])
        for piece in pieces:
            await writer.write(piece)
        await writer.end()

    body = os.urandom(6 * 1024 * 1024)
    conn = http_conn(serve(echo))
    conn.request("POST", "/", body=body)
    resp = conn.getresponse()
    assert resp.status == 200
    assert resp.read() == body

    conn = http_conn(serve(stream_echo))
    pieces = (body[i : i + 100_000] for i in range(0, len(body), 100_000))
    conn.request("POST", "/", body=pieces, encode_chunked=True)
    resp = conn.getresponse()
    assert resp.getheader("Transfer-Encoding") == "chunked"
    assert resp.read() == body


# -- streaming responses -------------------------------------------------------------------


def test_chunked_response_arrives_chunk_by_chunk_with_trailers(serve: Any, connect: Any) -> None:
    gates: list[Gate] = []

    async def handler(request: Request, responder: Responder) -> None:
        writer = responder.start(200, [("Content-Type", "text/plain"), ("Trailer", "X-Error")])
        await writer.write(b"first")
        await gates[0].wait()
        await writer.write(b"")  # nothing is sent for empty data
        await writer.write(b"second")
        await gates[1].wait()
        await writer.end([("X-Error", "none"), ("X-Count", "2")])

    server = serve(handler)
    gates.extend(Gate(server) for _ in range(2))
    client = connect(server)
    client.send(get())
    head = read_head(client.rfile)
    assert head.status == 200
    assert head.headers["transfer-encoding"] == "chunked"
    assert head.headers["trailer"] == "X-Error"
    assert read_chunk(client.rfile) == b"first"
    gates[0].open()
    assert read_chunk(client.rfile) == b"second"
    gates[1].open()
    assert read_chunk(client.rfile) == b""
    assert read_fields(client.rfile) == {"x-error": "none", "x-count": "2"}
    # The connection is reusable afterwards (the gates are open now).
    resp = client.request(get())
    assert (resp.chunks, resp.trailers) == (
        [b"first", b"second"],
        {"x-error": "none", "x-count": "2"},
    )


def test_streamed_response_to_http10_client_is_closed_delimited(serve: Any, connect: Any) -> None:
    async def handler(request: Request, responder: Responder) -> None:
        writer = responder.start(200)
        await writer.write(b"one ")
        await writer.write(b"two")
        await writer.end([("X-Dropped", "yes")])

    client = connect(serve(handler))
    resp = client.request(b"GET / HTTP/1.0\r\n\r\n")
    assert resp.status == 200
    assert "transfer-encoding" not in resp.headers
    assert resp.headers["connection"] == "close"
    assert resp.body == b"one two"


# -- connection management ---------------------------------------------------------------


def test_connection_close_from_client(serve: Any, connect: Any) -> None:
    client = connect(serve(echo))
    resp = client.request(get("/", "Connection: close\r\n"))
    assert resp.headers["connection"] == "close"
    assert client.closed_by_server()


def test_connection_close_from_handler(serve: Any, connect: Any) -> None:
    async def handler(request: Request, responder: Responder) -> None:
        responder.send(200, [("Connection", "close")], b"bye")

    client = connect(serve(handler))
    resp = client.request(get())
    assert resp.headers["connection"] == "close"
    assert resp.body == b"bye"
    assert client.closed_by_server()


def test_http10_closes_unless_keep_alive(serve: Any, connect: Any) -> None:
    server = serve(echo)
    client = connect(server)
    resp = client.request(b"GET / HTTP/1.0\r\n\r\n")
    assert resp.status == 200
    assert resp.headers["connection"] == "close"
    assert client.closed_by_server()

    client = connect(server)
    for _ in range(2):
        resp = client.request(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        assert resp.headers["connection"] == "keep-alive"


def test_wait_disconnected_during_long_poll(serve: Any, connect: Any) -> None:
    polling = threading.Event()
    noticed = threading.Event()
    states: list[bool] = []

    async def handler(request: Request, responder: Responder) -> None:
        states.append(request.disconnected)
        polling.set()
        await request.wait_disconnected()
        states.append(request.disconnected)
        noticed.set()
        responder.send(200)  # nobody to read it: must not fail

    client = connect(serve(handler))
    client.send(get("/next"))
    assert polling.wait(TIMEOUT)
    time.sleep(0.05)
    assert not noticed.is_set()
    client.close()
    assert noticed.wait(TIMEOUT)
    assert states == [False, True]


def test_close_cancels_long_poll_and_stops_the_server(serve: Any, connect: Any) -> None:
    polling = threading.Event()
    cancelled = threading.Event()

    async def handler(request: Request, responder: Responder) -> None:
        if request.path != "/next":
            responder.send(200)
            return
        polling.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    server = serve(handler)
    idle = connect(server)
    assert idle.request(get()).status == 200
    client = connect(server)
    client.send(get("/next"))
    assert polling.wait(TIMEOUT)
    server.stop()
    assert cancelled.is_set()
    assert client.closed_by_server()
    assert idle.closed_by_server()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT).close()


# -- errors --------------------------------------------------------------------------------

MALFORMED = [
    b"GARBAGE\r\n\r\n",
    b"GET / HTTP/1.1 extra\r\n\r\n",
    b"GET  / HTTP/1.1\r\n\r\n",
    b"G@T / HTTP/1.1\r\n\r\n",
    b"GET / HTTX/1.1\r\n\r\n",
    b"GET /\x01 HTTP/1.1\r\n\r\n",
    b"GET / HTTP/1.1\r\nNoColon\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost : x\r\n\r\n",
    b"GET / HTTP/1.1\r\n: empty-name\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n",
    b"GET / HTTP/1.1\r\nX: a\rb\r\n\r\n",
    b"GET / HTTP/1.1\r\nX: a\x00b\r\n\r\n",
    b"GET / HTTP/1.1\nHost: x\n\n",
    b"GET / HTTP/1.1\r\nHost: x\n\r\n\r\n",
    b"POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
    b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
    b"POST / HTTP/1.1\r\nTransfer-Encoding: identity\r\n\r\n",
    b"POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
    b"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
    b"POST / HTTP/1.1\r\nContent-Length: +1\r\n\r\n",
    b"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
    b"POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n",
    b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
]


@pytest.mark.parametrize("message", MALFORMED)
def test_malformed_request_gets_400_and_close(serve: Any, connect: Any, message: bytes) -> None:
    calls: list[str] = []

    async def handler(request: Request, responder: Responder) -> None:
        calls.append(request.target)
        responder.send(200)

    client = connect(serve(handler))
    resp = client.request(message + get())
    assert resp.status == 400
    assert resp.headers["connection"] == "close"
    assert resp.headers["content-type"] == "application/json"
    assert resp.json()["errorType"] == "BadRequest"
    assert resp.json()["errorMessage"]
    assert client.closed_by_server()
    assert calls == []


MALFORMED_BODIES = [
    b"zz\r\nhello\r\n0\r\n\r\n",
    b"-5\r\nhello\r\n0\r\n\r\n",
    b"5\r\nhelloXX0\r\n\r\n",
    b"5 5\r\nhello\r\n0\r\n\r\n",
    b"5\nhello\r\n0\r\n\r\n",
    b"1" * 5000 + b"\r\n",
    b"5\r\nhello\r\n0\r\nBad Trailer\r\n\r\n",
]


@pytest.mark.parametrize("body", MALFORMED_BODIES)
def test_malformed_chunked_body_gets_400_and_close(serve: Any, connect: Any, body: bytes) -> None:
    client = connect(serve(echo))
    resp = client.request(chunked_head() + body)
    assert resp.status == 400
    assert resp.headers["connection"] == "close"
    assert resp.json()["errorType"] == "BadRequest"
    assert client.closed_by_server()


def test_unsupported_http_version(serve: Any, connect: Any) -> None:
    client = connect(serve(echo))
    resp = client.request(b"GET / HTTP/2.0\r\n\r\n")
    assert resp.status == 505
    assert client.closed_by_server()


@pytest.mark.parametrize("complete", [False, True])
def test_oversized_header_section_gets_431(serve: Any, connect: Any, complete: bool) -> None:
    client = connect(serve(echo))
    message = b"GET / HTTP/1.1\r\nX-Big: " + b"a" * 70_000
    if complete:
        message += b"\r\n\r\n"
    resp = client.request(message)
    assert resp.status == 431
    assert resp.headers["connection"] == "close"
    assert client.closed_by_server()


def test_header_section_just_under_the_limit_is_accepted(serve: Any, connect: Any) -> None:
    client = connect(serve(echo))
    head = get("/", "X-Big: " + "a" * (65536 - 100) + "\r\n")
    assert len(head) < 65536
    assert client.request(head).status == 200


def test_handler_exception_gets_500_json(serve: Any, connect: Any) -> None:
    async def handler(request: Request, responder: Responder) -> None:
        if request.path == "/fail":
            raise ValueError("boom")
        responder.send(200, (), b"ok")

    client = connect(serve(handler))
    resp = client.request(post("/fail", b"x"))
    assert resp.status == 500
    assert resp.json() == {"errorType": "ServiceException", "errorMessage": "ValueError: boom"}
    assert "connection" not in resp.headers
    assert client.request(get("/ok")).body == b"ok"  # the connection survives


def test_handler_http_error_gets_its_status(serve: Any, connect: Any) -> None:
    async def handler(request: Request, responder: Responder) -> None:
        raise HTTPError(404, "no such thing", "ResourceNotFoundException")

    client = connect(serve(handler))
    resp = client.request(get())
    assert resp.status == 404
    assert resp.json() == {
        "errorType": "ResourceNotFoundException",
        "errorMessage": "no such thing",
    }


def test_handler_without_response_gets_500(serve: Any, connect: Any) -> None:
    async def handler(request: Request, responder: Responder) -> None:
        return

    client = connect(serve(handler))
    resp = client.request(get())
    assert resp.status == 500
    assert resp.json()["errorType"] == "ServiceException"


def test_invalid_response_header_gets_500(serve: Any, connect: Any) -> None:
    async def handler(request: Request, responder: Responder) -> None:
        responder.send(200, [("X-Bad", "a\r\nInjected: yes")], b"")

    client = connect(serve(handler))
    resp = client.request(get())
    assert resp.status == 500
    assert "injected" not in resp.headers


def test_handler_failure_mid_stream_aborts_the_connection(serve: Any, connect: Any) -> None:
    async def handler(request: Request, responder: Responder) -> None:
        writer = responder.start(200)
        await writer.write(b"partial")
        raise RuntimeError("stream broke")

    client = connect(serve(handler))
    client.send(get())
    assert read_head(client.rfile).status == 200
    assert read_chunk(client.rfile) == b"partial"
    with pytest.raises((EOFError, ConnectionResetError)):
        read_chunk(client.rfile)


def test_responding_twice_is_an_error(serve: Any, connect: Any) -> None:
    errors: list[str] = []

    async def handler(request: Request, responder: Responder) -> None:
        responder.send(200, (), b"first")
        try:
            responder.send(200, (), b"second")
        except RuntimeError as exc:
            errors.append(str(exc))

    client = connect(serve(handler))
    assert client.request(get()).body == b"first"
    assert client.request(get()).body == b"first"
    deadline = time.monotonic() + TIMEOUT
    while len(errors) < 2 and time.monotonic() < deadline:
        time.sleep(0.001)  # the handler raises just after its response went out
    assert errors == ["a response has already been sent"] * 2


def test_single_huge_chunk_and_write_backpressure(serve: Any, connect: Any) -> None:
    body = os.urandom(6 * 1024 * 1024)
    sizes: list[int] = []

    async def handler(request: Request, responder: Responder) -> None:
        async for piece in request.chunks():
            sizes.append(len(piece))
            await asyncio.sleep(0)
        writer = responder.start(200)
        for i in range(0, len(body), 1 << 20):
            await writer.write(body[i : i + (1 << 20)])
        await writer.end([("X-Size", str(sum(sizes)))])

    client = connect(serve(handler))
    client.send(chunked_head() + b"%x\r\n" % len(body))
    for i in range(0, len(body), 1 << 20):
        client.send(body[i : i + (1 << 20)])
    client.send(b"\r\n0\r\n\r\n")
    time.sleep(0.05)  # let the server fill its write buffer before the client reads
    resp = read_response(client.rfile)
    assert resp.body == body
    assert resp.trailers == {"x-size": str(len(body))}
    assert sum(sizes) == len(body)
    assert len(sizes) > 1  # handed on in pieces before the chunk was complete


def test_pipelined_request_after_unread_body(serve: Any, connect: Any) -> None:
    async def handler(request: Request, responder: Responder) -> None:
        if request.path == "/ignore":
            responder.send(202)
        else:
            responder.send(200, (), await request.body())

    client = connect(serve(handler))
    client.send(
        post("/ignore", b"a" * 200_000)
        + chunked_head("/ignore")
        + b"3\r\nabc\r\n0\r\n\r\n"
        + post("/read", b"payload")
    )
    assert read_response(client.rfile).status == 202
    assert read_response(client.rfile).status == 202
    resp = read_response(client.rfile)
    assert (resp.status, resp.body) == (200, b"payload")


def test_expect_100_continue_with_chunked_body(serve: Any, connect: Any) -> None:
    client = connect(serve(echo))
    client.send(chunked_head("/", "Expect: 100-continue\r\n"))
    assert read_head(client.rfile).status == 100
    client.send(b"4\r\nbody\r\n0\r\n\r\n")
    assert read_response(client.rfile).body == b"body"


def test_client_going_away_mid_body(serve: Any, connect: Any) -> None:
    failures: list[tuple[int, str]] = []
    done = threading.Event()

    async def handler(request: Request, responder: Responder) -> None:
        try:
            await request.body()
        except HTTPError as exc:
            failures.append((exc.status, exc.error_type))
            assert request.disconnected
            done.set()
            raise

    client = connect(serve(handler))
    client.send(post("/", b"x" * 100)[:-50])
    client.close()
    assert done.wait(TIMEOUT)
    assert failures == [(400, "BadRequest")]


def test_close_is_idempotent_and_concurrent(serve: Any) -> None:
    server = serve(echo)

    async def close_twice() -> None:
        await asyncio.gather(server.server.close(), server.server.close())
        await server.server.close()

    server.call(close_twice())
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT).close()


def test_slow_body_consumer(serve: Any, connect: Any) -> None:
    body = os.urandom(3 * 1024 * 1024)

    async def handler(request: Request, responder: Responder) -> None:
        await asyncio.sleep(0.1)  # let well over 1 MiB arrive unconsumed: reading pauses
        received = bytearray()
        async for piece in request.chunks():
            received += piece
        responder.send(200, (), bytes(received))

    client = connect(serve(handler))
    client.send(post("/", body))
    assert read_response(client.rfile).body == body
    assert client.request(get()).status == 200


def test_half_closed_client_gets_answers_to_buffered_requests(serve: Any, connect: Any) -> None:
    client = connect(serve(echo))
    client.send(get("/one") + post("/two", b"2") + b"GET /three HTTP/1.1\r\n")
    client.sock.shutdown(socket.SHUT_WR)
    assert read_response(client.rfile).headers["x-path"] == "/one"
    assert read_response(client.rfile).body == b"2"
    assert client.closed_by_server()  # the incomplete third request is dropped
