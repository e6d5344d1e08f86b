"""Immutable records of what the client sent: requests, error posts, outcomes."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from lambdabox.testing._runtime_api.protocol import H_ERROR_TYPE


@dataclass(frozen=True)
class RecordedRequest:
    """One request as received (recorded before its body is read)."""

    method: str
    path: str
    """The request target exactly as sent (including any query string)."""
    headers: Mapping[str, str]
    """Header fields with lower-case names."""
    received_at: float
    """``time.monotonic()`` when the header section had been read."""
    peer_port: int = 0
    """The client's TCP port: requests with the same value came on one connection."""


@dataclass(frozen=True)
class Posted:
    """A body posted to ``/init/error`` or ``/restore/error``."""

    body: bytes
    headers: Mapping[str, str]
    """Header fields with lower-case names."""
    received_at: float
    """``time.monotonic()`` when the whole body had been read."""

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)

    @property
    def error_type(self) -> str | None:
        """The ``Lambda-Runtime-Function-Error-Type`` header, if any."""
        return self.headers.get(H_ERROR_TYPE)


@dataclass(frozen=True)
class Outcome:
    """What the client posted for an invocation (the accepted post)."""

    kind: Literal["response", "error"]
    request_id: str
    body: bytes
    """The body; for a chunked (streamed) body all chunks joined."""
    headers: Mapping[str, str]
    """Header fields with lower-case names."""
    streamed: bool
    """``Lambda-Runtime-Function-Response-Mode: streaming`` was sent."""
    chunks: tuple[tuple[float, bytes], ...]
    """``(time.monotonic() at arrival, data)`` per chunk of a chunked body."""
    trailers: Mapping[str, str]
    """Trailer fields of a chunked body, lower-case names."""
    received_at: float = 0.0
    """``time.monotonic()`` when the whole post had been read."""
    dispatched_at: float = 0.0
    """``time.monotonic()`` when ``/next`` handed the invocation out."""

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)

    @property
    def error_type(self) -> str | None:
        """``Lambda-Runtime-Function-Error-Type`` from the headers or trailers."""
        value = self.headers.get(H_ERROR_TYPE)
        if value is None:
            value = self.trailers.get(H_ERROR_TYPE)
        return value
