"""The differential check of the emulator's HTTP server against llhttp (``httptools``).

A module of helpers for the ``test_http_differential*`` modules (not a
conftest: a second ``conftest`` module name breaks mypy's module mapping).
:class:`Differential` ``(raw)`` sends raw bytes to a real :class:`HTTPServer` on 127.0.0.1
(a handler recording each request it accepted, i.e. whose body it read whole),
parses the same bytes with llhttp as the reference, and fails the test unless
every request the server accepted was framed identically by llhttp (method,
target, header fields, body, trailers) and in the same order, and every request
the server did not accept was answered with an error status or a close.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

import httptools

from lambdabox.emulator.httpserver import HTTPError, HTTPServer, Request, Responder

T = TypeVar("T")
TIMEOUT = 5.0


@dataclass(frozen=True)
class Framed:
    """One request as framed by a parser: what a handler would see."""

    method: str
    target: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    trailers: tuple[tuple[str, str], ...]


class RecordingServer:
    """An :class:`HTTPServer` in a background thread recording every request it accepted.

    A request counts as accepted once its handler has read the whole body; the
    handler then answers ``200`` with an empty body.
    """

    def __init__(self) -> None:
        self.accepted: list[tuple[int, Framed]] = []
        self._lock = threading.Lock()
        self.loop = asyncio.new_event_loop()
        self.server = HTTPServer(self._handle, name="differential")
        self._thread = threading.Thread(target=self.loop.run_forever, name="httpserver-diff")
        self._thread.start()
        self.call(self.server.start())
        self.port = self.server.address[1]

    def call(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(TIMEOUT)

    async def _handle(self, req: Request, resp: Responder) -> None:
        try:
            body = await req.body()
        except HTTPError as exc:
            resp.send(exc.status, [("Content-Type", "text/plain")], exc.message.encode())
            return
        framed = Framed(
            req.method,
            req.target,
            tuple(sorted(req.headers.items())),
            body,
            tuple(sorted(req.trailers.items())),
        )
        with self._lock:
            self.accepted.append((req.connection_id, framed))
        resp.send(200)

    def take(self) -> list[Framed]:
        """Requests accepted so far, removing them."""
        with self._lock:
            taken = [framed for _, framed in self.accepted]
            self.accepted = []
        return taken

    def stop(self) -> None:
        try:
            self.call(self.server.close())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(TIMEOUT)
            self.loop.close()


def _joined(fields: list[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """Field lines as the server reports them: lower-case names, repeats joined by ``", "``."""
    merged: dict[str, str] = {}
    for name, value in fields:
        key = name.lower()
        merged[key] = value if key not in merged else f"{merged[key]}, {value}"
    return tuple(sorted(merged.items()))


class _Reference:
    """llhttp's framing of a byte string: the complete messages before any error."""

    def __init__(self) -> None:
        self.messages: list[Framed] = []
        self.error: str | None = None
        self._parser = httptools.HttpRequestParser(self)
        self._url = b""
        self._fields: list[tuple[str, str]] = []
        self._headers: tuple[tuple[str, str], ...] = ()
        self._body: list[bytes] = []
        self._in_trailers = False

    def on_message_begin(self) -> None:
        self._url = b""
        self._fields = []
        self._body = []
        self._in_trailers = False

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self._fields.append((name.decode("latin-1"), value.decode("latin-1").strip(" \t")))

    def on_headers_complete(self) -> None:
        self._headers = _joined(self._fields)
        self._fields = []
        self._in_trailers = True

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        method = self._parser.get_method().decode("ascii")
        trailers = _joined(self._fields) if self._in_trailers else ()
        target = self._url.decode("latin-1")
        self.messages.append(Framed(method, target, self._headers, b"".join(self._body), trailers))

    def parse(self, raw: bytes) -> None:
        try:
            self._parser.feed_data(raw)
        except httptools.HttpParserUpgrade:
            self.error = "upgrade"  # what follows is not HTTP/1.1 any more
        except httptools.HttpParserError as exc:
            self.error = str(exc) or type(exc).__name__


def _statuses(data: bytes) -> list[int]:
    """Status codes of the responses in ``data`` (parsed by llhttp as well)."""
    statuses: list[int] = []

    class _Sink:
        def on_headers_complete(self) -> None:
            statuses.append(parser.get_status_code())

    parser = httptools.HttpResponseParser(_Sink())
    # A response cut short by the close raises; its status is already counted.
    with contextlib.suppress(httptools.HttpParserError):
        parser.feed_data(data)
    return statuses


def _exchange(port: int, raw: bytes) -> bytes:
    """Send ``raw``, shut down the sending side, read until the server closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
        try:
            sock.sendall(raw)
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the server already rejected and closed; read its answer
        chunks: list[bytes] = []
        try:
            while data := sock.recv(65536):
                chunks.append(data)
        except ConnectionResetError:
            pass
        except TimeoutError:
            raise AssertionError(f"server hung on {raw!r}") from None
    return b"".join(chunks)


@dataclass(frozen=True)
class Verdict:
    """What each side made of one byte string."""

    accepted: tuple[Framed, ...]
    reference: tuple[Framed, ...]
    reference_error: str | None
    statuses: tuple[int, ...]


class Differential:
    """The check run by the ``differential`` fixture (see the module docstring)."""

    def __init__(self, server: RecordingServer) -> None:
        self.server = server

    def __call__(self, raw: bytes) -> Verdict:
        self.server.take()
        answer = _exchange(self.server.port, raw)
        accepted = self.server.take()
        reference = _Reference()
        reference.parse(raw)
        statuses = _statuses(answer)
        verdict = Verdict(
            tuple(accepted), tuple(reference.messages), reference.error, tuple(statuses)
        )
        n = len(accepted)
        assert tuple(accepted) == tuple(reference.messages[:n]), (
            f"framing differs from llhttp for {raw!r}: {verdict}"
        )
        assert statuses[:n] == [200] * n, f"accepted requests not answered 200: {verdict}"
        assert all(s >= 400 for s in statuses[n:]), f"unaccepted request answered: {verdict}"
        assert len(statuses) <= n + 1, f"more answers than requests: {verdict}"
        return verdict
