"""One connection: reading requests off it, on top of :mod:`.exchange` and :mod:`.transport`.

Each request head is parsed as soon as it is complete and its handler started
(:class:`~.exchange.Exchange`); the body that follows is decoded
(``Content-Length`` or chunked) and fed to the :class:`~.request.Request`.  Bytes
of a following (pipelined) request are kept until the response is done.  A
request that cannot be parsed is answered with 400 (431 for an oversized header
section) and the connection closed.
"""

from __future__ import annotations

import logging
from typing import cast

from lambdabox.emulator.httpserver.chunked import ChunkedDecoder
from lambdabox.emulator.httpserver.constants import (
    BODY,
    CHUNKED,
    COMPLETE,
    HEAD,
    HOLD,
    IGNORE,
    LENGTH,
    NO_BODY,
    PIPELINE_LIMIT,
)
from lambdabox.emulator.httpserver.errors import HTTPError, default_error_type, error_body
from lambdabox.emulator.httpserver.exchange import Exchange
from lambdabox.emulator.httpserver.fields import STATUS_LINES
from lambdabox.emulator.httpserver.parsing import (
    MAX_HEAD,
    ParseError,
    has_token,
    parse_content_length,
    parse_fields,
    parse_request_line,
)
from lambdabox.emulator.httpserver.request import Request
from lambdabox.emulator.httpserver.response import Responder

logger = logging.getLogger("lambdabox.emulator.httpserver")


class Connection(Exchange):
    """One TCP connection: parses requests and runs the handler for each."""

    __slots__ = ()

    def data_received(self, data: bytes) -> None:
        if self._state >= IGNORE:
            return
        buf = self._buf
        if buf:
            data = buf + data
            self._buf = b""
        try:
            self._process(data)
        except Exception:
            logger.exception("%r: internal error while reading", self)
            self._abort()
            return
        self._watch()

    def _process(self, buf: bytes) -> None:
        """Consume ``buf`` according to the input state; keep what cannot be used yet."""
        pos = 0
        end = len(buf)
        while pos < end:
            state = self._state
            if state == HEAD:
                pos = self._parse_head(buf, pos)
                if pos < 0:
                    return
            elif state == BODY:
                pos = self._feed_body(buf, pos)
                if self._state == BODY:
                    if pos < end:
                        self._buf = buf[pos:]
                    return
            elif state == HOLD:
                self._buf = buf[pos:] if pos else buf
                if len(self._buf) > PIPELINE_LIMIT:
                    self._update_reading()
                return
            else:
                return

    def _parse_head(self, buf: bytes, pos: int) -> int:
        """Parse and dispatch one request head; return the position after it or -1."""
        while buf.startswith(b"\r\n", pos):  # RFC 9112 2.2: ignore empty lines before a request
            pos += 2
        idx = buf.find(b"\r\n\r\n", pos)
        if idx < 0:
            rest = len(buf) - pos
            if rest > MAX_HEAD:
                self._reject(431, "RequestHeaderFieldsTooLarge", "request header section too large")
            elif buf.find(b"\n\n", pos) >= 0 or buf.startswith(b"\n", pos):
                self._reject(400, "BadRequest", "bare LF in request header section")
            elif rest:
                self._buf = buf[pos:] if pos else buf
            return -1
        if idx + 4 - pos > MAX_HEAD:
            self._reject(431, "RequestHeaderFieldsTooLarge", "request header section too large")
            return -1
        line_end = buf.find(b"\r\n", pos)
        try:
            method, target, http11 = parse_request_line(buf[pos:line_end])
            headers = parse_fields(buf[line_end + 2 : idx]) if line_end < idx else {}
            framing, length = self._framing(headers, http11)
        except ParseError as exc:
            self._reject(exc.status, default_error_type(exc.status), exc.message)
            return -1
        connection = headers.get("connection")
        if http11:
            keep_alive = connection is None or not has_token(connection, "close")
        else:
            keep_alive = connection is not None and has_token(connection, "keep-alive")
        expect = headers.get("expect")
        req = Request(
            self,
            method,
            target,
            headers,
            framing,
            length,
            keep_alive,
            http11 and expect is not None and expect.lower() == "100-continue",
        )
        if self._server.keep_raw_fields and line_end < idx:
            req.raw_fields = buf[line_end + 2 : idx]
        resp = Responder(self, req)
        self._req = req
        self._resp = resp
        self._http11 = http11
        if framing == NO_BODY:
            self._state = HOLD
        else:
            self._state = BODY
            self._remaining = length
            self._decoder = ChunkedDecoder() if framing == CHUNKED else None
        server = self._server
        task = self._loop.create_task(self._run(req, resp))
        req._task = task
        server._tasks.add(task)
        return idx + 4

    @staticmethod
    def _framing(headers: dict[str, str], http11: bool) -> tuple[int, int]:
        te = headers.get("transfer-encoding")
        cl = headers.get("content-length")
        if te is not None:
            if cl is not None:
                raise ParseError(400, "both Content-Length and Transfer-Encoding")
            if te.strip(" \t").lower() != "chunked":
                raise ParseError(400, f"unsupported Transfer-Encoding {te!r}")
            if not http11:
                raise ParseError(400, "Transfer-Encoding in an HTTP/1.0 request")
            return CHUNKED, 0
        if cl is not None:
            length = parse_content_length(cl)
            if length:
                return LENGTH, length
        return NO_BODY, 0

    def _feed_body(self, buf: bytes, pos: int) -> int:
        req = cast(Request, self._req)
        decoder = self._decoder
        if decoder is None:
            n = min(self._remaining, len(buf) - pos)
            req._feed(buf[pos : pos + n])
            pos += n
            self._remaining -= n
            if self._remaining == 0 and self._state == BODY:
                self._body_complete(req, None)
            return pos
        try:
            pos = decoder.feed(buf, pos)
        except ParseError as exc:
            req._fail(HTTPError(exc.status, exc.message))
            self._must_close = True
            self._stop_input()
            return len(buf)
        out = decoder.out
        if out:
            for piece in out:
                req._feed(piece)
            out.clear()
        if decoder.done and self._state == BODY:
            self._body_complete(req, decoder.trailers)
        return pos

    def _body_complete(self, req: Request, trailers: dict[str, str] | None) -> None:
        if trailers is not None:
            req.trailers = trailers
        req._complete = True
        req._wake()
        self._decoder = None
        resp = self._resp
        if resp is not None and resp._state == COMPLETE:
            self._req = None
            self._resp = None
            self._state = HEAD
        else:
            self._state = HOLD
        if self._reading_paused:
            self._update_reading()

    def _reject(self, status: int, error_type: str, message: str) -> None:
        """Answer a request that could not be parsed, then close."""
        self._buf = b""
        body = error_body(error_type, message)
        status_line = STATUS_LINES.get(status) or f"HTTP/1.1 {status} \r\n"
        head = (
            f"{status_line}Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n"
        )
        self._transport.write(head.encode("latin-1") + body)
        self._linger_close()
