"""The soak's readiness probe against a server that binds first and answers later.

`lambdabox emulate` binds its sockets before its imports (prestart): a probe connects at
once and waits in the backlog. A probe that gave up on a 2 s read timeout crashed the
soak when a loaded machine took longer than that to start the emulator.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from soak.emulator import wait_until_answering

ANSWER = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"


@pytest.fixture
def listening() -> Iterator[socket.socket]:
    """A socket bound and listening on 127.0.0.1 that nobody accepts on yet."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    yield sock
    sock.close()


def _serve_after(sock: socket.socket, delay_s: float, stop: threading.Event) -> None:
    """Start accepting only after `delay_s` (a server still importing itself)."""
    time.sleep(delay_s)
    sock.settimeout(0.2)
    while not stop.is_set():
        try:
            conn, _ = sock.accept()
        except TimeoutError:
            continue
        except OSError:
            return
        with conn:
            conn.settimeout(5)
            try:
                conn.recv(65536)
                conn.sendall(ANSWER)
            except OSError:
                continue


def test_a_server_answering_only_after_its_backlog_waited_past_2_s_counts_as_started(
    listening: socket.socket,
) -> None:
    stop = threading.Event()
    server = threading.Thread(target=_serve_after, args=(listening, 3.0, stop), daemon=True)
    server.start()
    port = listening.getsockname()[1]
    try:
        assert wait_until_answering(f"http://127.0.0.1:{port}", within_s=30)
    finally:
        stop.set()
        server.join(5)


def test_a_server_that_never_answers_is_reported_not_started(listening: socket.socket) -> None:
    port = listening.getsockname()[1]
    assert not wait_until_answering(f"http://127.0.0.1:{port}", within_s=0.5)


def test_nothing_listening_is_reported_not_started() -> None:
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    assert not wait_until_answering(f"http://127.0.0.1:{port}", within_s=0.5)
