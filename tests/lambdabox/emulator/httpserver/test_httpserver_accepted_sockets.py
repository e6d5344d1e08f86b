"""Accepted connections: TCP_NODELAY is on (set by asyncio's transport, not by the server),
and a new connection per request is served like a keep-alive one."""

from __future__ import annotations

import asyncio
import socket

from lambdabox.emulator.httpserver import HTTPServer, Request, Responder


async def _answer(request: Request, responder: Responder) -> None:
    responder.send(200, [("Content-Type", "text/plain")], request.path.encode("ascii"))


def _get(port: int, path: str) -> bytes:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode("ascii"))
        data = b""
        while not data.endswith(path.encode("ascii")):
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
        return data


def test_accepted_connections_have_nodelay_and_each_gets_its_answer() -> None:
    async def main() -> None:
        server = HTTPServer(_answer, "127.0.0.1", 0)
        await server.start()
        port = server.address[1]
        loop = asyncio.get_running_loop()
        try:
            for n in range(20):  # a new connection per request, closed by the client
                data = await loop.run_in_executor(None, _get, port, f"/r{n}")
                assert data.startswith(b"HTTP/1.1 200 OK\r\n")
                assert data.endswith(f"/r{n}".encode("ascii"))
            with socket.create_connection(("127.0.0.1", port)) as held:
                held.sendall(b"GET /held HTTP/1.1\r\nHost: x\r\n\r\n")
                await loop.run_in_executor(None, held.recv, 4096)
                accepted = [c._transport.get_extra_info("socket") for c in server._connections]
                assert accepted
                for sock in accepted:
                    assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
            for _ in range(100):  # closed connections are forgotten
                if not server._connections:
                    break
                await asyncio.sleep(0.01)
            assert not server._connections
        finally:
            await server.close()

    asyncio.run(main())
