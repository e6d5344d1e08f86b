"""A container's log stream read on the event loop, straight from the Docker Engine API.

`GET /containers/{id}/logs?follow=1&timestamps=1` over Docker's unix socket, with asyncio:
the HTTP/1.1 response (chunked or not), then Docker's multiplexed frames (an 8-byte header:
stream type, three zero bytes, a big-endian 32-bit size). Reading on the loop rather than in
a thread of its own keeps the log plumbing off the warm path: no thread holding the GIL
while the loop answers the runtime, no wake-up of the loop per line. `LineSplitter` turns
the stream's stamped messages into lines for both readers (this one and the docker SDK's).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from lambdabox.emulator.logstamps import split_stamp

LineCallback = Callable[[bytes, "float | None"], None]


class LogStreamError(Exception):
    """Docker refused the log stream (its status line and message say why)."""


class LineSplitter:
    """Docker's stamped messages to lines: each message starts with its timestamp; a line
    longer than Docker's 16 KiB message comes in several messages, each stamped. A line
    is completed within its own stream (stdout or stderr), never across them."""

    def __init__(self, on_line: LineCallback) -> None:
        self._on_line = on_line
        self._pending: dict[int, tuple[bytes, float | None]] = {}

    def feed(self, message: bytes, stream: int = 1) -> None:
        """One message of `stream` (1 stdout, 2 stderr; 1 when the reader cannot tell)."""
        rest = message
        while rest:
            at, rest = split_stamp(rest)
            part, newline, rest = rest.partition(b"\n")
            pending, pending_at = self._pending.pop(stream, (b"", at))
            pending += part
            if newline:
                self._on_line(pending, pending_at)
            else:
                self._pending[stream] = (pending, pending_at)

    def flush(self) -> None:
        """The stream ended: a last line without its newline is still a line."""
        for pending, pending_at in self._pending.values():
            if pending:
                self._on_line(pending, pending_at)
        self._pending = {}


async def follow_logs(
    socket_path: str, container_id: str, on_message: Callable[[bytes, int], None]
) -> None:
    """Call `on_message` with each message of the container's output and its stream (1
    stdout, 2 stderr), from its start, stamped, until the container stops; raises
    OSError/LogStreamError."""
    reader, writer = await asyncio.open_unix_connection(socket_path)
    try:
        query = "follow=1&stdout=1&stderr=1&timestamps=1"
        writer.write(
            f"GET /containers/{container_id}/logs?{query} HTTP/1.1\r\n"
            "Host: docker\r\nConnection: close\r\n\r\n".encode("ascii")
        )
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        status_line, *header_lines = head.split("\r\n")
        headers = {
            name.strip().lower(): value.strip()
            for name, _, value in (line.partition(":") for line in header_lines if line)
        }
        if status_line.split(" ")[1:2] != ["200"]:
            body = await reader.read(4096)
            raise LogStreamError(f"{status_line}: {body.decode('utf-8', 'replace').strip()}")
        chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        frames = _Frames(on_message)  # no TTY (the driver never asks for one): multiplexed
        while True:
            data = await _next_body_part(reader, chunked)
            if not data:
                return
            frames.feed(data)
    finally:
        writer.close()


async def _next_body_part(reader: asyncio.StreamReader, chunked: bool) -> bytes:
    """The next piece of the response body; b"" at its end."""
    if not chunked:
        return await reader.read(65536)
    size_line = await reader.readline()
    if not size_line:
        return b""
    size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
    if size == 0:
        return b""
    data = await reader.readexactly(size)
    await reader.readexactly(2)  # the CRLF after each chunk
    return data


class _Frames:
    """Docker's multiplexed stream: [type, 0, 0, 0, size (4 bytes, big-endian)] + payload."""

    def __init__(self, on_message: Callable[[bytes, int], None]) -> None:
        self._on_message = on_message
        self._buffer = b""

    def feed(self, data: bytes) -> None:
        buffer = self._buffer + data if self._buffer else data
        at = 0
        while len(buffer) - at >= 8:
            size = int.from_bytes(buffer[at + 4 : at + 8], "big")
            end = at + 8 + size
            if end > len(buffer):
                break
            self._on_message(buffer[at + 8 : end], buffer[at])
            at = end
        self._buffer = buffer[at:]
