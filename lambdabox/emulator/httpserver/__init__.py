"""A small, strict and fast HTTP/1.1 server on :class:`asyncio.Protocol` (stdlib only).

It serves the emulator's Runtime API and Invoke API on loopback.  Compared with
the mainstream servers it keeps request *trailers* (Lambda streaming responses
report errors in them), streams request bodies chunk by chunk, streams chunked
responses flushed per chunk, and costs little per request.

One request is handled at a time per connection.  Each request is handed to the
handler as an :class:`asyncio.Task` as soon as its header section has been
parsed, so the handler may long-poll before (or without) reading the body.  The
next request on the connection is parsed once the response has been completely
written and the body fully received; a body the handler did not read is drained
after it returns (or the connection is closed when that is cheaper or unsafe).

Every exception is contained per connection: parse errors are answered with 400
(431 for an oversized header section) and a JSON body, handler failures with
500, and the connection is closed or aborted whenever it could be out of sync.
A connection closed after an answer while the peer may still be sending first
shuts down its write side and discards input for a moment (a lingering close),
so that the peer reads the answer instead of a reset.

When the peer closes the connection (or only its sending side: the two cannot be
told apart), :attr:`Request.disconnected` becomes true and
:meth:`Request.wait_disconnected` returns; the current response, and those to
requests already received in full, can still be written, then the connection
is closed.

Modules: :mod:`.server` (:class:`HTTPServer`, :data:`Handler`), :mod:`.request`
and :mod:`.body` (:class:`Request`), :mod:`.response` and :mod:`.streaming`
(:class:`Responder`, :class:`ChunkedWriter`), :mod:`.errors`
(:class:`HTTPError`, :class:`BodyTooLarge`), :mod:`.limits` (:class:`Limits`: the
connection cap and the idle and slow-peer timeouts); a connection is built in layers,
:mod:`.transport` (state, flow control, closing), :mod:`.bounds` (connection cap,
idle and slow peers), :mod:`.exchange` (running
handlers) and :mod:`.connection` (request parsing and body framing); with
helpers :mod:`.parsing`, :mod:`.chunked`, :mod:`.fields` and :mod:`.constants`.
"""

from __future__ import annotations

from lambdabox.emulator.httpserver.constants import BODY_HIGH_WATER as BODY_HIGH_WATER
from lambdabox.emulator.httpserver.constants import CLOSE_TIMEOUT as CLOSE_TIMEOUT
from lambdabox.emulator.httpserver.constants import LINGER_SECONDS as LINGER_SECONDS
from lambdabox.emulator.httpserver.constants import MAX_DRAIN as MAX_DRAIN
from lambdabox.emulator.httpserver.constants import PIPELINE_LIMIT as PIPELINE_LIMIT
from lambdabox.emulator.httpserver.errors import BodyTooLarge, HTTPError
from lambdabox.emulator.httpserver.limits import INVOKE_API, RUNTIME_API, Limits, Refusal
from lambdabox.emulator.httpserver.request import Request
from lambdabox.emulator.httpserver.response import Responder
from lambdabox.emulator.httpserver.server import Handler, HTTPServer
from lambdabox.emulator.httpserver.streaming import ChunkedWriter

__all__ = [
    "INVOKE_API",
    "RUNTIME_API",
    "BodyTooLarge",
    "ChunkedWriter",
    "HTTPError",
    "HTTPServer",
    "Handler",
    "Limits",
    "Refusal",
    "Request",
    "Responder",
]
