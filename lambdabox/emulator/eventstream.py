"""AWS event stream framing (application/vnd.amazon.eventstream), encoder only.

Used by the response-streaming invoke endpoint, whose events AWS SDKs decode:
`PayloadChunk` events carrying the function's bytes, then one `InvokeComplete`.
Each message: total length, headers length, prelude CRC32, headers, payload, message
CRC32; big-endian; string headers are type 7 with a 2-byte length.
"""

from __future__ import annotations

import binascii
import json
import struct

CONTENT_TYPE = "application/vnd.amazon.eventstream"
_STRING = 7


def _headers(items: dict[str, str]) -> bytes:
    out = bytearray()
    for name, value in items.items():
        key, val = name.encode(), value.encode()
        out += struct.pack(">B", len(key)) + key + struct.pack(">BH", _STRING, len(val)) + val
    return bytes(out)


def message(headers: dict[str, str], payload: bytes) -> bytes:
    """One framed message."""
    head = _headers(headers)
    total = 12 + len(head) + len(payload) + 4
    prelude = struct.pack(">II", total, len(head))
    prelude += struct.pack(">I", binascii.crc32(prelude))
    body = prelude + head + payload
    return body + struct.pack(">I", binascii.crc32(body))


def payload_chunk(data: bytes) -> bytes:
    return message(
        {
            ":event-type": "PayloadChunk",
            ":content-type": "application/octet-stream",
            ":message-type": "event",
        },
        data,
    )


def invoke_complete(
    error_code: str | None = None, details: str | None = None, log_result: str | None = None
) -> bytes:
    doc = {}
    if error_code:
        doc["ErrorCode"] = error_code
    if details:
        doc["ErrorDetails"] = details
    if log_result:
        doc["LogResult"] = log_result
    return message(
        {
            ":event-type": "InvokeComplete",
            ":content-type": "application/json",
            ":message-type": "event",
        },
        json.dumps(doc).encode(),
    )
