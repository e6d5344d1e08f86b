"""Emulator benchmarks: warm invoke round trip against the loopback floor, cold start, scaling.

The emulator runs as `lambdabox emulate` in its own process with our client as the
runtime; callers use one keep-alive connection each (TCP_NODELAY), like an SDK does.
"""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from lambdabox.testing.processes import emulate_command, free_port, run_command
from runtime_interface._http import Connection

HANDLERS = Path(__file__).resolve().parent / "handlers"
INVOKE_PATH = "/2015-03-31/functions/function/invocations"


@contextmanager
def running_emulator(python: Path, max_concurrency: int = 1) -> Iterator[tuple[str, float]]:
    """Start `lambdabox emulate`; yield its address and the ms from start to first answer."""
    port = free_port()
    started = time.monotonic()
    runtime = [str(python), "-m", "runtime_interface", "echo.handler"]
    proc = subprocess.Popen(
        emulate_command(port, runtime, "--max-concurrency", str(max_concurrency)),
        cwd=HANDLERS,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "AWS_LAMBDA_FUNCTION_TIMEOUT": "30"},
    )
    address = f"127.0.0.1:{port}"
    try:
        cold_ms = _first_answer_ms(address, started)
        yield address, cold_ms
    finally:
        proc.terminate()
        proc.wait(10)


def container_cold_start_ms(runs: int) -> float:
    """Median ms from `lambdabox run IMAGE` to its first answer (image built beforehand)."""
    from lambdabox.testing.images import python_test_image

    image = python_test_image()
    samples = []
    for _ in range(runs):
        port = free_port()
        started = time.monotonic()
        proc = subprocess.Popen(
            run_command(port, image),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            samples.append(_first_answer_ms(f"127.0.0.1:{port}", started))
        finally:
            proc.send_signal(2)
            proc.wait(30)
    return statistics.median(samples)


def _first_answer_ms(address: str, started: float) -> float:
    deadline = started + 60
    while True:
        try:
            conn = Connection(address, "bench")
            conn.connect()
            resp = conn.request("POST", INVOKE_PATH, b"{}")
            conn.close()
            if resp.status == 200:
                return (time.monotonic() - started) * 1000
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError("no answer within 60 s") from None
            time.sleep(0.002)


def invoke_latencies(address: str, event: bytes, count: int) -> list[float]:
    """Per-invoke round trip in ms, sequential, one keep-alive connection."""
    conn = Connection(address, "bench")
    conn.connect()
    samples = []
    try:
        for _ in range(20):
            conn.request("POST", INVOKE_PATH, event)
        for _ in range(count):
            started = time.perf_counter()
            resp = conn.request("POST", INVOKE_PATH, event)
            samples.append((time.perf_counter() - started) * 1000)
            if resp.status != 200:
                raise RuntimeError(f"invoke failed: {resp.status}")
    finally:
        conn.close()
    return samples


def throughput(address: str, event: bytes, callers: int, seconds: float) -> float:
    """Invokes/s from `callers` threads for `seconds`; throttled calls (429) are retried."""
    done = [0] * callers
    stop = time.monotonic() + seconds

    def caller(index: int) -> None:
        conn = Connection(address, "bench")
        conn.connect()
        try:
            while time.monotonic() < stop:
                if conn.request("POST", INVOKE_PATH, event).status == 200:
                    done[index] += 1
        finally:
            conn.close()

    threads = [threading.Thread(target=caller, args=(i,)) for i in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done) / seconds


class _Echo(asyncio.Protocol):
    """The floor's server: answers each request on a kept-alive connection at once."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        sock = transport.get_extra_info("socket")
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.transport = transport
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while b"\r\n\r\n" in self.buffer:
            head, _, rest = self.buffer.partition(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if len(rest) < length:
                return
            body, self.buffer = rest[:length], rest[length:]
            assert isinstance(self.transport, asyncio.WriteTransport)
            self.transport.write(
                b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%b" % (len(body), body)
            )


def serve_echo() -> None:
    """Run the floor's echo server (in its own process, as the emulator is); print its port."""
    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(loop.create_server(_Echo, "127.0.0.1", 0))
    print(server.sockets[0].getsockname()[1], flush=True)
    loop.run_forever()


def floor_latencies(event: bytes, count: int) -> list[float]:
    """Two keep-alive loopback round trips per sample: the physical floor of an invoke."""
    proc = subprocess.Popen(
        [sys.executable, "-c", "from bench.emulator import serve_echo; serve_echo()"],
        stdout=subprocess.PIPE,
        cwd=Path(__file__).resolve().parent.parent,
    )
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        conn = Connection(f"127.0.0.1:{port}", "bench")
        conn.connect()
        samples = []
        try:
            for i in range(count + 20):
                started = time.perf_counter()
                conn.request("POST", "/a", event)
                conn.request("POST", "/b", event)
                if i >= 20:
                    samples.append((time.perf_counter() - started) * 1000)
        finally:
            conn.close()
    finally:
        proc.terminate()
        proc.wait(10)
        if proc.stdout is not None:
            proc.stdout.close()
    return samples


def p50(samples: list[float]) -> float:
    return statistics.median(samples)
