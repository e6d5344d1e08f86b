"""HTTP transport: the threading server and the handler of one client connection.

One thread per connection, ``TCP_NODELAY`` on every accepted socket, no request
logging; request heads are parsed by :mod:`lambdabox.testing._http` and each
request is routed by :func:`~lambdabox.testing._runtime_api.routing.dispatch`.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import socketserver
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final

from lambdabox.testing import _http
from lambdabox.testing._runtime_api.core import Core
from lambdabox.testing._runtime_api.invocation import Invocation
from lambdabox.testing._runtime_api.protocol import STOPPING, error_response
from lambdabox.testing._runtime_api.routing import dispatch

_PEEK_FLAGS: Final = socket.MSG_PEEK | getattr(socket, "MSG_DONTWAIT", 0)
_CAN_PEEK: Final = hasattr(socket, "MSG_DONTWAIT")
_JOIN_BODY_BELOW: Final = 64 * 1024


class Handler(BaseHTTPRequestHandler):
    """One client connection; serves keep-alive requests until it closes."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # StreamRequestHandler.setup sets TCP_NODELAY
    server_version = "lambdabox-runtime-api"
    sys_version = ""

    core: Core
    sock: socket.socket
    assigned: Invocation | None
    peer_port: int

    def setup(self) -> None:
        super().setup()
        server = self.server
        assert isinstance(server, RuntimeHTTPServer)
        self.core = server.core
        self.sock = self.connection
        self.assigned = None
        address = self.client_address
        self.peer_port = int(address[1]) if isinstance(address, tuple) else 0

    def log_message(self, format: str, *args: Any) -> None:
        """Do not log requests (hot path)."""

    def peer_alive(self) -> bool:
        """Whether the client has not closed its end of the connection."""
        if not _CAN_PEEK:
            return True
        try:
            return bool(self.sock.recv(1, _PEEK_FLAGS))
        except BlockingIOError:
            return True
        except OSError:
            return False

    def handle_one_request(self) -> None:
        self.close_connection = True
        try:
            line = self.rfile.readline(_http.MAX_LINE + 1)
            if not line or self.core.stopping:
                return
            if line in {b"\r\n", b"\n"}:  # tolerated before a request line
                self.close_connection = False
                return
            if len(line) > _http.MAX_LINE:
                raise _http.ProtocolError(414, "request line too long")
            parts = line.split()
            if len(parts) != 3 or not line.endswith(b"\n"):
                raise _http.ProtocolError(400, f"malformed request line {line[:200]!r}")
            version = parts[2]
            if version not in {b"HTTP/1.1", b"HTTP/1.0"}:
                raise _http.ProtocolError(505, f"unsupported HTTP version {version!r}")
            method = parts[0].decode("latin-1")
            target = parts[1].decode("latin-1")
            headers = _http.read_fields(self.rfile)
            now = time.monotonic()
            core = self.core
            if core.record_requests:
                core.record(method, target, headers, now, self.peer_port)
            connection = headers.get("connection")
            if version == b"HTTP/1.1":
                keep_alive = connection is None or "close" not in connection.lower()
            else:
                keep_alive = connection is not None and "keep-alive" in connection.lower()
            self.close_connection = not keep_alive
            reply = dispatch(self, method, target, headers, now)
            if reply:
                self.sock.sendall(reply)
        except _http.ProtocolError as exc:
            self.close_connection = True
            self.core.violation(f"malformed HTTP from {self.client_address}: {exc.message}")
            reply = error_response(exc.status, "InvalidRequest", exc.message, close=True)
            with contextlib.suppress(OSError):
                self.sock.sendall(reply)
        except (_http.PeerClosed, OSError):
            self.close_connection = True

    def read_body(self, headers: dict[str, str], limit: int) -> _http.Body:
        """Read the request body (``Content-Length`` or chunked)."""
        encoding = headers.get("transfer-encoding")
        if encoding is not None:
            if encoding.strip().lower() != "chunked":
                raise _http.ProtocolError(501, f"unsupported Transfer-Encoding {encoding!r}")
            if "content-length" in headers:
                raise _http.ProtocolError(400, "both Content-Length and Transfer-Encoding")
            self.send_continue(headers)
            return _http.read_chunked(self.rfile, limit)
        length = headers.get("content-length")
        if length is None:
            return _http.EMPTY_BODY
        if not (length.isascii() and length.isdigit()):
            raise _http.ProtocolError(400, f"invalid Content-Length {length!r}")
        size = int(length)
        if size:
            self.send_continue(headers)
        return _http.read_sized(self.rfile, size, limit)

    def send_continue(self, headers: dict[str, str]) -> None:
        expect = headers.get("expect")
        if expect is not None and expect.lower() == "100-continue":
            self.sock.sendall(_http.CONTINUE)

    def serve_next(self, now: float) -> bytes:
        inv = self.core.take_next(self, now)
        if inv is None:
            self.close_connection = True
            return STOPPING
        head = b"%sLambda-Runtime-Deadline-Ms: %d\r\n\r\n" % (inv.head, inv.sent_deadline_ms or 0)
        body = inv.event_body
        inv.event_body = b""
        if len(body) < _JOIN_BODY_BELOW:
            self.sock.sendall(head + body)
        else:
            self.sock.sendall(head)
            self.sock.sendall(body)
        return b""


class RuntimeHTTPServer(ThreadingHTTPServer):
    """Threading server that tracks its connections so ``stop`` can close them."""

    daemon_threads = True
    block_on_close = False
    request_queue_size = 128
    timeout = 0.0  # handle_request() must not block: serve() already saw a connection

    def __init__(self, address: tuple[str, int], core: Core) -> None:
        self.core = core
        self.connections: dict[socket.socket, threading.Thread] = {}
        self.connections_lock = threading.Lock()
        self.closing = False
        self.wake_reader, self.wake_writer = socket.socketpair()
        try:
            super().__init__(address, Handler)
        except BaseException:
            self.wake_reader.close()
            self.wake_writer.close()
            raise

    def serve(self) -> None:
        """Accept connections until :meth:`wake_to_close`; unlike ``serve_forever``, no polling."""
        with selectors.DefaultSelector() as selector:
            selector.register(self.socket, selectors.EVENT_READ)
            selector.register(self.wake_reader, selectors.EVENT_READ)
            while not self.closing:
                for key, _ in selector.select():
                    if key.fileobj is self.socket and not self.closing:
                        self.handle_request()

    def wake_to_close(self) -> None:
        """Make :meth:`serve` return promptly."""
        self.closing = True
        with contextlib.suppress(OSError):
            self.wake_writer.send(b"\0")

    def server_close(self) -> None:
        super().server_close()
        self.wake_reader.close()
        self.wake_writer.close()

    def server_bind(self) -> None:
        # HTTPServer.server_bind calls socket.getfqdn(), a DNS lookup: skip it.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def process_request(
        self, request: socket.socket | tuple[bytes, socket.socket], client_address: Any
    ) -> None:
        thread = threading.Thread(
            target=self.process_request_thread,
            args=(request, client_address),
            name=f"runtime-api-conn-{client_address[1]}",
            daemon=True,
        )
        if isinstance(request, socket.socket):
            with self.connections_lock:
                self.connections[request] = thread
        thread.start()

    def shutdown_request(self, request: socket.socket | tuple[bytes, socket.socket]) -> None:
        if isinstance(request, socket.socket):
            with self.connections_lock:
                self.connections.pop(request, None)
        super().shutdown_request(request)

    def handle_error(
        self, request: socket.socket | tuple[bytes, socket.socket], client_address: Any
    ) -> None:
        del request
        text = traceback.format_exc()
        where = f"Runtime API test server (connection from {client_address})"
        self.core.violation(f"internal error in the {where}: {text}")
        sys.stderr.write(f"lambdabox RuntimeAPIServer: unexpected error\n{text}")
