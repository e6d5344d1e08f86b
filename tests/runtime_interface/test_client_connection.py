"""The client's HTTP connection against a real TCP peer on 127.0.0.1: one retry on a
reused keep-alive connection the peer closed, none on a fresh one, and each failure as a
ConnectionLost that names what happened."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from runtime_interface._http import Connection, ConnectionLost

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Seen: %d\r\n\r\nok"


class Peer:
    """Accepts connections; on each, answers `answers[i]` requests (i: the connection's
    index), then closes it without answering the next one."""

    def __init__(self, answers: list[int]) -> None:
        self.answers = answers
        self.connections = 0
        self.requests: list[bytes] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self._listener.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            index = self.connections
            self.connections += 1
            with conn:
                budget = self.answers[index] if index < len(self.answers) else 0
                buf = b""
                while True:
                    while b"\r\n\r\n" not in buf:
                        data = conn.recv(65536)
                        if not data:
                            break
                        buf += data
                    if b"\r\n\r\n" not in buf:
                        break
                    head, _, buf = buf.partition(b"\r\n\r\n")
                    self.requests.append(head)
                    if budget == 0:
                        break  # close with the request unanswered
                    budget -= 1
                    conn.sendall(OK % len(self.requests))

    def close(self) -> None:
        self._listener.close()


@pytest.fixture
def peer_of() -> Iterator[type[Peer]]:
    peers: list[Peer] = []

    class Made(Peer):
        def __init__(self, answers: list[int]) -> None:
            super().__init__(answers)
            peers.append(self)

    yield Made
    for peer in peers:
        peer.close()


def test_a_reused_connection_the_peer_closed_is_retried_once(peer_of: type[Peer]) -> None:
    peer = peer_of([1, 1])
    conn = Connection(peer.address, "ua")
    first = conn.request("GET", "/a")
    second = conn.request("GET", "/b")  # the first connection is closed: a new one answers
    assert (first.status, bytes(first.body), first.headers["x-seen"]) == (200, b"ok", "1")
    assert (second.status, bytes(second.body), second.headers["x-seen"]) == (200, b"ok", "3")
    conn.close()
    assert peer.connections == 2
    assert [r.split(b"\r\n")[0] for r in peer.requests] == [
        b"GET /a HTTP/1.1",
        b"GET /b HTTP/1.1",
        b"GET /b HTTP/1.1",
    ]


def test_a_fresh_connection_closed_unanswered_is_not_retried(peer_of: type[Peer]) -> None:
    peer = peer_of([0, 1])
    conn = Connection(peer.address, "ua")
    with pytest.raises(ConnectionLost, match="the Runtime API closed the connection"):
        conn.request("POST", "/x", b"body")
    conn.close()
    assert peer.connections == 1


def test_the_retry_fails_too_when_the_new_connection_is_closed(peer_of: type[Peer]) -> None:
    peer = peer_of([1, 0])
    conn = Connection(peer.address, "ua")
    conn.request("GET", "/a")
    with pytest.raises(ConnectionLost, match="the Runtime API closed the connection"):
        conn.request("GET", "/b")
    conn.close()
    assert peer.connections == 2


def test_an_unreachable_peer_is_a_connection_lost_naming_the_connect() -> None:
    with socket.socket() as unused:  # a port nothing listens on
        unused.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{unused.getsockname()[1]}"
    conn = Connection(address, "ua")
    with pytest.raises(ConnectionLost, match="cannot connect to the Runtime API"):
        conn.exchange(conn.head("GET", "/a", b"", b"Content-Length: 0\r\n"))
