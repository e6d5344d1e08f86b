"""What a mapping did: one `BatchRecord` per invocation, kept for tests and logs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class BatchRecord:
    """One batch handed to a function, and how it ended."""

    source: str  # "orders::/"
    function: str
    request_id: str
    payload: bytes  # the event as sent
    size: int  # messages in the batch
    ok: bool
    error_type: str | None  # the function error's errorType, or the invoke failure
    response: bytes
    duration_s: float
    finished: float  # time.time() when the outcome was known

    def event(self) -> Any:
        """The event the function received."""
        return json.loads(self.payload)

    @property
    def outcome(self) -> str:
        """`ok`, or `error (Type)`: what the per-batch log line says."""
        return "ok" if self.ok else f"error ({self.error_type or 'unknown'})"


def error_type(response: bytes) -> str | None:
    """The `errorType` of a function error's body, if it has one."""
    try:
        body = json.loads(response)
    except ValueError:
        return None
    kind = body.get("errorType") if isinstance(body, dict) else None
    return kind if isinstance(kind, str) else None
