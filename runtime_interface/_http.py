"""A minimal HTTP/1.1 client connection for the Runtime API, on the `_socket` builtin.

Why not `http.client`: importing it pulls in `email` and `ssl` and costs about 23 ms on
the reference machine, three times the whole interpreter start. The Runtime API is a
local, plain-HTTP peer, so one keep-alive connection with TCP_NODELAY, Content-Length
and chunked bodies is all the protocol this client needs.

The socket is blocking with no read timeout (`/next` may wait for minutes), so signal
handlers installed by user code run while the client waits (PEP 475 retries the call).
"""

import _socket

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

_CRLF = b"\r\n"
_HEAD_END = b"\r\n\r\n"
_RECV = 65536
_SMALL_BODY = 65536
_CONNECT_TIMEOUT_S = 1.0
_WAITALL = getattr(_socket, "MSG_WAITALL", 0)


class ConnectionLost(OSError):
    """The peer closed the connection or a socket call failed."""


class Response:
    """A parsed HTTP response: status, lower-cased header names, body."""

    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, headers: dict[str, str], body: "bytes | memoryview") -> None:
        self.status = status
        self.headers = headers
        self.body = body


def split_address(address: str) -> tuple[str, int]:
    """Split 'host:port' (or '[v6]:port') as given in AWS_LAMBDA_RUNTIME_API."""
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise ValueError(
            f"invalid Runtime API address {address!r}: expected HOST:PORT, e.g. 127.0.0.1:9001"
        )
    return host.strip("[]"), int(port)


def encode_headers(headers: "Iterable[tuple[str, str]]") -> bytes:
    """Header lines (`Name: value` CRLF each) as they go on the wire, in Latin-1."""
    return b"".join(
        b"%b: %b\r\n" % (name.encode("latin-1"), value.encode("latin-1")) for name, value in headers
    )


class Connection:
    """One persistent connection; reconnects once when a reused connection went stale."""

    def __init__(self, address: str, user_agent: str) -> None:
        self._host, self._port = split_address(address)
        self._host_header = address.encode("ascii")
        self._user_agent = user_agent.encode("ascii")
        self._sock: _socket.socket | None = None
        self._buf = bytearray()
        self._large = bytearray()
        self._used = False

    def connect(self) -> None:
        """Open the connection (raises OSError when the API does not answer)."""
        self.close()
        # An ASCII host as bytes keeps getaddrinfo from importing the idna codec (~3 ms).
        host: str | bytes = self._host.encode("ascii") if self._host.isascii() else self._host
        family, kind, proto, _, addr = _socket.getaddrinfo(
            host, self._port, 0, _socket.SOCK_STREAM
        )[0]
        sock = _socket.socket(family, kind, proto)
        try:
            sock.settimeout(_CONNECT_TIMEOUT_S)
            sock.connect(addr)
            sock.settimeout(None)
            if family != _socket.AF_UNIX:
                sock.setsockopt(_socket.IPPROTO_TCP, _socket.TCP_NODELAY, 1)
        except BaseException:
            sock.close()
            raise
        self._sock = sock
        self._buf.clear()
        self._used = False

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def request(
        self,
        method: str,
        path: str,
        body: bytes = b"",
        headers: "Iterable[tuple[str, str]]" = (),
    ) -> "Response":
        """Send one request with a Content-Length body and read the response."""
        head = self.head(
            method, path, encode_headers(headers), b"Content-Length: %d\r\n" % len(body)
        )
        return self.exchange(head, body)

    def request_chunked(
        self,
        method: str,
        path: str,
        headers: "Iterable[tuple[str, str]]",
        chunks: "Iterable[bytes]",
        trailers: "Callable[[], Iterable[tuple[str, str]]]",
    ) -> "Response":
        """Send a chunked body as `chunks` yields it, then the trailers, then read."""
        if self._sock is None:
            self.connect()
        sock = self._sock
        assert sock is not None
        try:
            framing = b"Transfer-Encoding: chunked\r\n"
            sock.sendall(self.head(method, path, encode_headers(headers), framing))
            for data in chunks:
                if data:
                    sock.sendall(b"%x\r\n%b\r\n" % (len(data), data))
            sock.sendall(b"0\r\n" + encode_headers(trailers()) + _CRLF)
            return self._read_response()
        except OSError as exc:
            self.close()
            raise ConnectionLost(f"connection to the Runtime API lost: {exc}") from exc

    def head(self, method: str, path: str, headers: bytes, framing: bytes) -> bytes:
        """The bytes of a request head: `headers` as `encode_headers` writes them, then the
        `framing` line (Content-Length or Transfer-Encoding). Callers may keep a head built
        once and send it with `exchange` as often as they like."""
        return b"%b %b HTTP/1.1\r\nHost: %b\r\nUser-Agent: %b\r\n%b%b\r\n" % (
            method.encode("ascii"),
            path.encode("ascii"),
            self._host_header,
            self._user_agent,
            headers,
            framing,
        )

    def exchange(self, head: bytes, body: bytes = b"") -> "Response":
        """Send `head` (from `head()`, Content-Length framing) and `body`; read the response."""
        for attempt in (0, 1):
            sock = self._sock
            if sock is None:
                try:
                    self.connect()
                except OSError as exc:
                    raise ConnectionLost(f"cannot connect to the Runtime API: {exc}") from exc
                sock = self._sock
                assert sock is not None
            reused = self._used
            try:
                if len(body) <= _SMALL_BODY:
                    sock.sendall(head + body)
                else:
                    sock.sendall(head)
                    sock.sendall(body)
                return self._read_response()
            except OSError as exc:
                self.close()
                # A stale keep-alive connection fails before any response byte: retry once.
                if attempt or not reused:
                    if isinstance(exc, ConnectionLost):
                        raise
                    raise ConnectionLost(f"connection to the Runtime API lost: {exc}") from exc
        raise AssertionError("unreachable")

    def _fill(self) -> None:
        assert self._sock is not None
        data = self._sock.recv(_RECV)
        if not data:
            raise ConnectionLost("the Runtime API closed the connection")
        self._buf += data

    def _read_response(self) -> "Response":
        buf = self._buf
        end = buf.find(_HEAD_END)
        if end < 0:
            sock = self._sock
            assert sock is not None
            while end < 0:
                data = sock.recv(_RECV)
                if not data:
                    raise ConnectionLost("the Runtime API closed the connection")
                buf += data
                end = buf.find(_HEAD_END)
        lines = buf[:end].decode("latin-1").split("\r\n")
        del buf[: end + 4]
        try:
            status = int(lines[0].split(" ", 2)[1])
        except (IndexError, ValueError):
            raise ConnectionLost(
                f"malformed status line from the Runtime API: {lines[0]!r}"
            ) from None
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        body: bytes | memoryview
        framing = headers.get("transfer-encoding")
        if framing is not None and framing.lower() == "chunked":
            body = self._read_chunked()
        else:
            size = int(headers.get("content-length", "0"))
            if len(buf) >= size:  # the usual case: the whole body came with the head
                body = bytes(buf[:size])
                del buf[:size]
            else:
                body = self._read_exact(size)
        self._used = True
        close = headers.get("connection")
        if close is not None and close.lower() == "close":
            self.close()
        return Response(status, headers, body)

    def _read_exact(self, size: int) -> "bytes | memoryview":
        """Read a body of `size` bytes.

        Large bodies land in one reused buffer and come back as a view of it, valid until
        the next request: allocating (and page-faulting) a fresh megabyte per invocation
        costs more than the socket reads themselves.
        """
        buf = self._buf
        if len(buf) >= size:
            body = bytes(buf[:size])
            del buf[:size]
            return body
        if len(self._large) < size:
            self._large = bytearray(size)
        view = memoryview(self._large)[:size]
        have = len(buf)
        view[:have] = buf
        buf.clear()
        sock = self._sock
        assert sock is not None
        while have < size:
            got = sock.recv_into(view[have:], size - have, _WAITALL)
            if not got:
                raise ConnectionLost("the Runtime API closed the connection mid-body")
            have += got
        return view

    def _read_line(self) -> bytes:
        end = self._buf.find(_CRLF)
        while end < 0:
            self._fill()
            end = self._buf.find(_CRLF)
        line = bytes(self._buf[:end])
        del self._buf[: end + 2]
        return line

    def _read_chunked(self) -> bytes:
        parts: list[bytes] = []
        while True:
            size = int(self._read_line().split(b";", 1)[0], 16)
            if size == 0:
                break
            parts.append(bytes(self._read_exact(size)))
            self._read_line()
        while self._read_line():  # trailers, ignored
            pass
        return b"".join(parts)
