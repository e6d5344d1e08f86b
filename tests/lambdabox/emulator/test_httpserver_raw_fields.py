"""`HTTPServer(keep_raw_fields=True)`: each request's header section as received, read back
with `field_list` (names as sent, repeats kept in order)."""

from __future__ import annotations

import asyncio
import socket

import pytest

from lambdabox.emulator.httpserver import HTTPServer, Request, Responder
from lambdabox.emulator.httpserver.parsing import field_list

REQUEST = (
    b"GET /x?a=1 HTTP/1.1\r\nHost: here\r\nX-Multi: one\r\nx-multi:  two, three \r\n"
    b"Cookie: a=1\r\n\r\n"
)


def _exchange(port: int) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(REQUEST)
        return sock.recv(4096)


@pytest.mark.parametrize("keep", [True, False])
def test_raw_fields(keep: bool) -> None:
    seen: list[bytes] = []

    async def handler(request: Request, responder: Responder) -> None:
        seen.append(request.raw_fields)
        responder.send(204)

    async def run() -> bytes:
        server = HTTPServer(handler, keep_raw_fields=keep)
        await server.start()
        try:
            return await asyncio.to_thread(_exchange, server.address[1])
        finally:
            await server.close()

    assert asyncio.run(run()).startswith(b"HTTP/1.1 204 ")
    if keep:
        assert field_list(seen[0]) == [
            ("Host", "here"),
            ("X-Multi", "one"),
            ("x-multi", "two, three"),
            ("Cookie", "a=1"),
        ]
    else:
        assert seen == [b""]
