"""Routing: which Runtime API endpoint a request is, and what answers it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from lambdabox.testing._runtime_api.protocol import (
    H_RESPONSE_MODE,
    INIT_ERROR_PATH,
    INVOCATION_PREFIX,
    NEXT_PATH,
    RESTORE_ERROR_PATH,
    RESTORE_NEXT_PATH,
    error_response,
)

if TYPE_CHECKING:
    from lambdabox.testing._runtime_api.transport import Handler


def dispatch(
    handler: Handler, method: str, target: str, headers: dict[str, str], now: float
) -> bytes:
    """Route one request; returns the response bytes still to be sent."""
    core = handler.core
    path = target
    if "?" in target:
        path = target.partition("?")[0]
        core.violation(f"{method} {target}: unexpected query string")
    if path == NEXT_PATH:
        if method == "GET":
            handler.read_body(headers, core.max_response_bytes)
            return handler.serve_next(now)
    elif path.startswith(INVOCATION_PREFIX):
        request_id, _, action = path[len(INVOCATION_PREFIX) :].partition("/")
        if method == "POST" and request_id and action in {"response", "error"}:
            streamed = False
            limit = core.max_response_bytes
            if action == "response":
                mode = headers.get(H_RESPONSE_MODE)
                if mode is not None and mode.strip().lower() == "streaming":
                    streamed = True
                    limit = core.max_streaming_response_bytes
            body = handler.read_body(headers, limit)
            kind: Literal["response", "error"] = "response" if action == "response" else "error"
            return core.post(
                kind,
                request_id,
                where=f"{method} {target}",
                headers=headers,
                body=body,
                streamed=streamed,
            )
    elif path == INIT_ERROR_PATH:
        if method == "POST":
            body = handler.read_body(headers, core.max_response_bytes)
            return core.post_init_error(f"{method} {target}", headers, body)
    elif path == RESTORE_NEXT_PATH:
        if method == "GET":
            handler.read_body(headers, core.max_response_bytes)
            return core.restore_next()
    elif path == RESTORE_ERROR_PATH and method == "POST":
        body = handler.read_body(headers, core.max_response_bytes)
        return core.post_restore_error(f"{method} {target}", headers, body)
    handler.read_body(headers, core.max_response_bytes)
    if method == "HEAD":  # the 404 below has a body, which a HEAD response must not
        handler.close_connection = True
    core.violation(f"{method} {target}: unknown Runtime API endpoint (404)")
    return error_response(404, "UnknownEndpoint", f"Unknown Runtime API endpoint: {method} {path}")
