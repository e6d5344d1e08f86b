"""Handlers behind the HTTP front in its tests (run by runtime_interface in real processes)."""

from __future__ import annotations

import base64
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

PNG = bytes(range(256)) + b"\x89PNG\r\n\x1a\n\x00\xff"


def echo(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The event back, as a JSON body."""
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "body": json.dumps(event),
    }


def plain(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """A result without statusCode (2.0 turns it into a 200 JSON response)."""
    return {"hello": "world", "n": 1}


def binary(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """A binary body (base64), and the request body's bytes hashed in a header."""
    received = event.get("body") or ""
    raw = base64.b64decode(received) if event.get("isBase64Encoded") else received.encode()
    return {
        "statusCode": 200,
        "headers": {"content-type": "image/png", "x-received": raw.hex()},
        "body": base64.b64encode(PNG).decode(),
        "isBase64Encoded": True,
    }


def cookies(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Several cookies and a repeated header, in the shape of the event's payload version."""
    if event.get("version") == "2.0":
        return {
            "statusCode": 201,
            "headers": {"x-one": "1"},
            "cookies": ["a=1; Path=/", "b=2; HttpOnly"],
            "body": "made",
        }
    return {
        "statusCode": 201,
        "headers": {"X-One": "1"},
        "multiValueHeaders": {"Set-Cookie": ["a=1; Path=/", "b=2; HttpOnly"], "X-Many": ["x", "y"]},
        "body": "made",
    }


def fail(event: dict[str, Any], context: Any) -> None:
    raise RuntimeError("the function failed")


def malformed(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Not a valid proxy response for 1.0 (unknown key) nor 2.0 (status is not a number)."""
    return {"statusCode": "two hundred", "unexpected": True}


def slow(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Record when it ran (in $RECORD_DIR), waiting for $RECORD_DIR/release if it is asked to."""
    folder = Path(os.environ["RECORD_DIR"])
    start = time.time()
    (folder / f"started-{context.aws_request_id}").write_text(str(start))
    deadline = start + 10
    while not (folder / "release").exists() and time.time() < deadline:
        time.sleep(0.01)
    end = time.time()
    (folder / f"ran-{context.aws_request_id}").write_text(json.dumps([start, end, os.getpid()]))
    return {"statusCode": 200, "body": "done"}


def sleepy(event: dict[str, Any], context: Any) -> dict[str, Any]:
    time.sleep(5)
    return {"statusCode": 200, "body": "late"}


def stream(event: dict[str, Any], context: Any) -> Iterator[bytes]:
    """A streamed HTTP response: prelude, 8 NULs, then a chunk per signal file."""
    folder = Path(os.environ["RECORD_DIR"])
    prelude = {"statusCode": 203, "headers": {"content-type": "text/plain"}, "cookies": ["s=1"]}
    yield json.dumps(prelude).encode() + b"\x00" * 8
    yield b"first chunk;"
    for name in ("go-2", "go-3"):
        deadline = time.time() + 10
        while not (folder / name).exists() and time.time() < deadline:
            time.sleep(0.01)
        yield f"after {name};".encode()
