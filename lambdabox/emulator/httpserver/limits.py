"""How many connections a server keeps and how long it waits for a slow or idle peer.

:class:`Limits` is given to :class:`~.server.HTTPServer`.  The timers only run
while the server waits for the *peer*: a connection with a request in progress
(a handler long-polling ``/next``, or an invoke waiting for a long function) is
never timed out by them.  :data:`INVOKE_API` and :data:`RUNTIME_API` are the
emulator's values (documented in the README's bounds table).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Refusal:
    """The answer (status 503, then closed) to a connection over the cap, in the API's shape."""

    headers: tuple[tuple[str, str], ...]
    """Besides ``Content-Length`` and ``Connection: close`` (which the server adds)."""
    body: bytes


@dataclass(frozen=True)
class Limits:
    """Connection cap and peer timeouts of one server (``None``: no cap, no timeout)."""

    max_connections: int | None = 1000
    """Connections served at once; one more is answered 503 and closed."""
    idle_timeout: float | None = 60.0
    """Seconds a keep-alive connection may wait for its next request (closed quietly)."""
    head_timeout: float | None = 30.0
    """Seconds from the first byte of a request head to its end (408, then closed)."""
    body_timeout: float | None = 30.0
    """Seconds a request body may stall while the server reads it (408 or closed)."""
    refusal: Refusal | None = None
    """The 503 beyond the cap; None: ``{"errorType": "ServiceException", ...}`` (the
    Runtime API's error shape)."""

    def __post_init__(self) -> None:
        if self.max_connections is not None and self.max_connections < 1:
            raise ValueError(f"max_connections must be at least 1, not {self.max_connections}")
        for name in ("idle_timeout", "head_timeout", "body_timeout"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise ValueError(f"{name} must be a positive number of seconds, not {value}")


INVOKE_API = Limits()
"""The Invoke API (and other client-facing servers): 1000 connections, 60 s idle, 30 s
to send a request head, a body stalled for 30 s."""

RUNTIME_API = Limits(max_connections=64, idle_timeout=None, body_timeout=None)
"""One environment's Runtime API: 64 connections (the runtime and its extensions need
a few); no idle timeout, since the runtime's keep-alive connection rests while its
function runs (up to its timeout, 15 minutes at most), and no body timeout, since a
streamed response is a request body that may pause as long (the function's timeout
ends both)."""
