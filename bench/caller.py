"""The benchmarks' caller: Python's `http.client` on one keep-alive connection with
TCP_NODELAY, the same for every emulator measured, and the loopback floor it can reach.

`first_answer_ms` polls a starting emulator until it answers; `latencies` times sequential
invokes; `floor_latencies` times two bare round trips to a do-nothing server (what one
invoke costs at the least: caller to emulator, emulator to runtime).
"""

from __future__ import annotations

import asyncio
import http.client
import socket
import subprocess
import sys
import time
from pathlib import Path

from bench.relay_floor import content_length

INVOKE_PATH = "/2015-03-31/functions/function/invocations"
ROOT = Path(__file__).resolve().parent.parent


def connect(address: str, timeout: float = 60.0) -> http.client.HTTPConnection:
    host, _, port = address.rpartition(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    conn.connect()
    assert conn.sock is not None
    conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return conn


def post(conn: http.client.HTTPConnection, body: bytes, path: str = INVOKE_PATH) -> bytes:
    """POST and read the whole answer; raises when it is not a 200."""
    conn.request("POST", path, body, {"Content-Type": "application/json"})
    resp = conn.getresponse()
    data = resp.read()
    if resp.status != 200:
        raise RuntimeError(f"invoke answered {resp.status}: {data[:200]!r}")
    return data


def first_answer_ms(address: str, started: float, limit_s: float = 60.0) -> float:
    """Ms from `started` (time.monotonic) until `address` answers its first invoke;
    connection attempts are retried every millisecond while nothing listens yet."""
    deadline = started + limit_s
    while True:
        try:
            conn = connect(address, timeout=limit_s)
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"nothing listened on {address} within {limit_s} s") from None
            time.sleep(0.001)
            continue
        try:
            post(conn, b"{}")
            return (time.monotonic() - started) * 1000
        finally:
            conn.close()


def latencies(address: str, event: bytes, count: int, warmup: int = 20) -> list[float]:
    """Ms per sequential invoke on one keep-alive connection, after `warmup` invokes."""
    conn = connect(address)
    try:
        for _ in range(warmup):
            post(conn, event)
        samples = []
        for _ in range(count):
            started = time.perf_counter()
            post(conn, event)
            samples.append((time.perf_counter() - started) * 1000)
        return samples
    finally:
        conn.close()


class _Echo(asyncio.Protocol):
    """The floor's server: answers each request on a kept-alive connection at once."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        assert isinstance(transport, asyncio.WriteTransport)
        self.transport = transport
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while b"\r\n\r\n" in self.buffer:
            head, _, rest = self.buffer.partition(b"\r\n\r\n")
            length = content_length(head)
            if len(rest) < length:
                return
            body, self.buffer = rest[:length], rest[length:]
            self.transport.write(
                b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%b" % (len(body), body)
            )


def serve_echo() -> None:
    """Run the floor's echo server (in its own process, as an emulator is); print its port."""
    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(loop.create_server(_Echo, "127.0.0.1", 0))
    print(server.sockets[0].getsockname()[1], flush=True)
    loop.run_forever()


def floor_latencies(event: bytes, count: int, warmup: int = 20) -> list[float]:
    """Two keep-alive loopback round trips per sample with this caller: an invoke's floor."""
    proc = subprocess.Popen(
        [sys.executable, "-c", "from bench.caller import serve_echo; serve_echo()"],
        stdout=subprocess.PIPE,
        cwd=ROOT,
    )
    try:
        assert proc.stdout is not None
        conn = connect(f"127.0.0.1:{int(proc.stdout.readline())}")
        samples = []
        try:
            for i in range(count + warmup):
                started = time.perf_counter()
                post(conn, event, "/a")
                post(conn, event, "/b")
                if i >= warmup:
                    samples.append((time.perf_counter() - started) * 1000)
        finally:
            conn.close()
    finally:
        proc.terminate()
        proc.wait(10)
        if proc.stdout is not None:
            proc.stdout.close()
    return samples
