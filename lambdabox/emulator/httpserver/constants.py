"""Limits of the HTTP server, and the state codes its connection, request and response share.

The codes are plain ``int`` constants: they are compared on every read and write.
"""

from __future__ import annotations

from lambdabox.emulator.httpserver.parsing import MAX_HEAD

MAX_DRAIN = 8 << 20
"""An unread body remainder larger than this is not drained: the connection is closed."""
BODY_HIGH_WATER = 1 << 20
"""Reading pauses while this many received body bytes wait to be consumed."""
PIPELINE_LIMIT = MAX_HEAD + 4096
"""Reading pauses while this many bytes of a following request wait to be parsed."""
LINGER_SECONDS = 2.0
"""How long a connection being closed keeps reading (and discarding) after its answer."""
CLOSE_TIMEOUT = 5.0
"""How long :meth:`HTTPServer.close` waits for cancelled handlers to finish."""
INLINE_BODY = 65536
"""Response bodies up to this size are written in the same buffer as the head."""

# Connection input states.
HEAD = 0  # waiting for a request head
BODY = 1  # receiving the current request's body
HOLD = 2  # body complete; waiting for the response (later bytes are kept)
IGNORE = 3  # input is discarded; the connection closes after the response
LINGER = 4  # answer written; closing (or write side shut, discarding input until EOF)
CLOSED = 5

# Body framing.
NO_BODY = 0
LENGTH = 1
CHUNKED = 2

# Response state.
NOT_STARTED = 0
STREAMING = 1
COMPLETE = 2
