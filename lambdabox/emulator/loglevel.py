"""`--log-level` (and `LOG_LEVEL`), as aws-lambda-rie takes them: the emulator's own messages.

Levels, case-insensitive: trace, debug, info (default), warn/warning, error, fatal, panic.
Function output and the START/END/REPORT lines are the function's log and always shown; the
level filters what the emulator says about itself on stderr:

- error: failures only (a port in use, a bad image);
- warn: also warnings (init failed before the first invoke);
- info: also where it listens and when the runtime is ready;
- debug/trace: also one line per request on the Invoke API and every Runtime API, with its
  status and duration.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the command line validates --log-level before asyncio is imported
    from lambdabox.emulator.httpserver import Request, Responder

__all__ = ["DEBUG", "ERROR", "INFO", "LEVELS", "WARN", "Handler", "logged_handler", "parse_level"]

DEBUG, INFO, WARN, ERROR = 10, 20, 30, 40
LEVELS = {
    "trace": 5,
    "debug": DEBUG,
    "info": INFO,
    "warn": WARN,
    "warning": WARN,
    "error": ERROR,
    "fatal": 50,
    "panic": 60,
}

Handler = Callable[["Request", "Responder"], Awaitable[None]]


def parse_level(name: str) -> int:
    """The numeric level of `name`; ValueError naming the known levels."""
    try:
        return LEVELS[name.strip().lower()]
    except KeyError:
        known = ", ".join(LEVELS)
        raise ValueError(f"unknown log level {name!r}: use one of {known}") from None


def logged_handler(handle: Handler, server: str, say: Callable[[str], None]) -> Handler:
    """`handle`, plus one debug line per request: server, method, path, status, duration."""

    async def logged(request: Request, responder: Responder) -> None:
        started = time.monotonic()
        try:
            await handle(request, responder)
        finally:
            took = (time.monotonic() - started) * 1000
            status = responder.status if responder.status is not None else "-"
            say(f"debug: {server} {request.method} {request.target} -> {status} ({took:.1f} ms)")

    return logged
