"""Test helpers for lambdabox: a strict in-process Lambda Runtime API server."""

from lambdabox.testing.runtime_api_server import (
    Outcome,
    PendingInvocation,
    Posted,
    RecordedRequest,
    RuntimeAPIServer,
)

__all__ = ["Outcome", "PendingInvocation", "Posted", "RecordedRequest", "RuntimeAPIServer"]
