"""Who holds the other end of a local connection: real sockets, real processes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest

from lambdabox.emulator.sandbox import sockdiag
from lambdabox.emulator.sandbox.peers import (
    PeerUnknown,
    holder,
    namespace_members,
    peer_socket_inode,
    session_members,
)

CLIENT = """
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
print(s.getsockname()[1], flush=True)
sys.stdin.read()
"""


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    with socket.create_server(("127.0.0.1", 0)) as sock:
        yield sock


def _address(sock: socket.socket) -> tuple[str, int]:
    host, port = sock.getsockname()[:2]
    return str(host), int(port)


def test_a_connection_from_this_process_is_ours(listener: socket.socket) -> None:
    with socket.create_connection(_address(listener)) as client:
        accepted, peer = listener.accept()
        with accepted:
            inode = peer_socket_inode((peer[0], peer[1]), _address(listener))
            assert inode == os.fstat(client.fileno()).st_ino
            assert holder([os.getpid()], inode) == os.getpid()


def test_a_connection_from_another_process_is_not_ours(listener: socket.socket) -> None:
    with subprocess.Popen(
        [sys.executable, "-c", CLIENT, str(_address(listener)[1])],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as child:
        assert child.stdout is not None
        assert child.stdin is not None
        port = int(child.stdout.readline())
        accepted, peer = listener.accept()
        with accepted:
            assert peer[1] == port
            inode = peer_socket_inode((peer[0], peer[1]), _address(listener))
            assert holder([os.getpid()], inode) is None
            assert holder([os.getpid(), child.pid], inode) == child.pid
        child.stdin.close()


def test_an_unspecified_listening_host_matches_the_port() -> None:
    with socket.create_server(("0.0.0.0", 0)) as server:
        port = _address(server)[1]
        with socket.create_connection(("127.0.0.1", port)) as client:
            accepted, peer = server.accept()
            with accepted:
                inode = peer_socket_inode((peer[0], peer[1]), ("0.0.0.0", port))
                assert inode == os.fstat(client.fileno()).st_ino


def test_ipv6_loopback() -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    try:
        server = socket.create_server(("::1", 0), family=socket.AF_INET6)
    except OSError:
        pytest.skip("no ::1 on this host")
    with server:
        local = _address(server)
        with socket.create_connection(local) as client:
            accepted, peer = server.accept()
            with accepted:
                inode = peer_socket_inode((peer[0], peer[1]), local)
                assert inode == os.fstat(client.fileno()).st_ino


def test_a_peer_that_is_gone_is_unknown(listener: socket.socket) -> None:
    with pytest.raises(PeerUnknown, match=r"no socket from 127\.0\.0\.1:1 to"):
        peer_socket_inode(("127.0.0.1", 1), _address(listener))


def test_sessions_and_namespaces() -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(30)"], start_new_session=True
    )
    try:
        assert session_members({child.pid}) == [child.pid]
        assert os.getpid() not in session_members({child.pid})
        assert {os.getpid(), child.pid} <= set(namespace_members(os.getpid()))
    finally:
        child.kill()
        child.wait(10)
    assert namespace_members(child.pid) == []


def test_sock_diag_and_proc_net_tcp_agree(
    listener: socket.socket, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.create_connection(_address(listener)) as client:
        accepted, peer = listener.accept()
        with accepted:
            local = _address(listener)
            expected = os.fstat(client.fileno()).st_ino
            assert sockdiag.socket_inode((peer[0], peer[1]), local) == expected
            monkeypatch.setattr(sockdiag, "socket_inode", lambda *_: None)  # no inet_diag
            assert peer_socket_inode((peer[0], peer[1]), local) == expected


def test_descriptors_of_another_user_cannot_be_read() -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to become another user")
    probe = (
        "import os, sys\n"
        "from lambdabox.emulator.sandbox.peers import holder\n"
        "os.setgid(65534); os.setuid(65534)\n"
        "try:\n"
        "    holder([int(sys.argv[1])], 1)\n"
        "except PermissionError as exc:\n"
        "    print('denied', exc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, str(os.getpid())],
        check=False,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.stdout.startswith("denied cannot read the descriptors"), done
