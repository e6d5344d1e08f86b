"""Relaying a RESPONSE_STREAM function URL's response as the function writes it.

A streamed HTTP response (`application/vnd.awslambda.http-integration-response`) starts
with a JSON prelude `{statusCode, headers, cookies}` and 8 NUL bytes; the rest is the body,
sent on as HTTP chunks as they arrive. The content type the runtime declares is only known
when the stream ends, so the prelude is recognised by its shape: a stream that does not
open with a JSON object followed by the 8 NULs is a plain body (200, octet-stream).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

SEPARATOR = b"\x00" * 8
_MAX_PRELUDE = 64 * 1024


@dataclass(frozen=True)
class Head:
    """The status and header fields a stream opens with."""

    status: int
    fields: tuple[tuple[str, str], ...]


PLAIN = Head(200, (("Content-Type", "application/octet-stream"),))


def parse_prelude(buffer: bytes, final: bool) -> tuple[Head, bytes] | None:
    """(head, rest of the body) once decidable from `buffer`; None while more is needed."""
    if buffer.lstrip()[:1] != b"{":
        return (PLAIN, buffer) if buffer or final else None
    end = buffer.find(SEPARATOR)
    if end < 0:
        return (PLAIN, buffer) if final or len(buffer) > _MAX_PRELUDE else None
    try:
        prelude: Any = json.loads(buffer[:end])
    except ValueError:
        return PLAIN, buffer
    if not isinstance(prelude, dict):
        return PLAIN, buffer
    status = prelude.get("statusCode", 200)
    headers = prelude.get("headers") or {}
    cookies = prelude.get("cookies") or []
    if (
        not isinstance(status, int)
        or not isinstance(headers, dict)
        or not isinstance(cookies, list)
    ):
        return PLAIN, buffer
    fields = [(str(k), str(v)) for k, v in headers.items()]
    fields.extend(("Set-Cookie", str(c)) for c in cookies)
    return Head(status, tuple(fields)), buffer[end + len(SEPARATOR) :]


async def next_chunk(
    queue: asyncio.Queue[bytes | None], task: asyncio.Future[Any]
) -> tuple[bool, bytes | None]:
    """(True, chunk or None at the end) from the stream, or (False, None) once the invocation
    has ended with nothing more queued (it answered without streaming, or failed)."""
    if not queue.empty():
        return True, queue.get_nowait()
    if task.done():
        return False, None
    get = asyncio.ensure_future(queue.get())
    await asyncio.wait({get, task}, return_when=asyncio.FIRST_COMPLETED)
    if get.done():
        return True, get.result()
    get.cancel()
    if not queue.empty():
        return True, queue.get_nowait()
    return False, None
