"""One port of the HTTP front: its server, and one invocation per request.

`Front` binds (trying the following ports when asked to), builds the `Incoming` request,
invokes the function without waiting for a busy environment, and reports what went wrong
as one of the service's situations; `ApiFront` (`api_front.py`) and `UrlFront`
(`url_front.py`) map requests and results for API routes and function URLs.
"""

from __future__ import annotations

import email.utils
import errno
import json
import time
from collections.abc import Sequence
from typing import Any

from lambdabox.emulator.httpserver import BodyTooLarge, HTTPServer, Request, Responder
from lambdabox.emulator.httpserver.parsing import field_list
from lambdabox.emulator.pool import TooManyRequests
from lambdabox.triggers.http.errors import HttpTriggerError
from lambdabox.triggers.http.events import Incoming
from lambdabox.triggers.http.responses import (
    FUNCTION_ERROR,
    THROTTLED,
    TOO_LARGE,
    Reply,
)
from lambdabox.triggers.ports import AppSettings, FunctionInvoker, UnknownFunction

MAX_PAYLOAD = 6 * 1024 * 1024  # Lambda's synchronous invocation payload limit (6,291,456 bytes)
# One encoder for every event: `json.dumps` with separators builds a new one per call. Events
# are trees built here, never cyclic, so the encoder need not track the containers it enters.
_encode = json.JSONEncoder(separators=(",", ":"), check_circular=False).encode


class Front:
    """One port of the front: its server, and the invocation of one function per request."""

    def __init__(
        self, invoker: FunctionInvoker, settings: AppSettings, port: int, name: str, scan: int = 0
    ) -> None:
        self._invoker = invoker
        self._settings = settings
        self._port = port
        self._name = name
        self._scan = scan  # how many following ports to try when `port` is taken
        self._server = HTTPServer(
            self._handle, settings.host, port, name=name, keep_raw_fields=True
        )
        self._started = False

    @property
    def base_url(self) -> str:
        port = self._server.address[1] if self._started else self._port
        return f"http://{self._settings.host}:{port}"

    async def start(self) -> None:
        port = self._port
        for attempt in range(self._scan + 1):
            try:
                await self._server.start()
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE and port and attempt < self._scan:
                    port += 1
                    self._server = HTTPServer(
                        self._handle,
                        self._settings.host,
                        port,
                        name=self._name,
                        keep_raw_fields=True,
                    )
                    continue
                raise HttpTriggerError(
                    f"{self._name}: cannot listen on {self._settings.host}:{port} "
                    f"({exc.strerror}); stop what uses the port or choose another --http-port"
                ) from None
            break
        self._started = True

    async def close(self) -> None:
        await self._server.close()

    async def _handle(self, request: Request, responder: Responder) -> None:
        raise NotImplementedError

    def _incoming(self, request: Request, body: bytes, path: str | None = None) -> Incoming:
        return Incoming(
            method=request.method,
            raw_path=request.path if path is None else path,
            raw_query=request.query,
            fields=tuple(field_list(request.raw_fields)),
            body=body,
            source_ip=request.peer[0],
            port=self._server.address[1],
            received=time.time(),
        )

    async def _invoke(self, function: str, event: dict[str, Any]) -> bytes | str:
        """The function's result, or the situation (FUNCTION_ERROR, THROTTLED, TOO_LARGE)."""
        payload = _encode(event).encode("utf-8")
        if len(payload) > MAX_PAYLOAD:
            return TOO_LARGE
        try:
            answer = await self._invoker.invoke(function, payload, wait=False)
        except TooManyRequests:
            return THROTTLED
        except UnknownFunction:
            return FUNCTION_ERROR
        if answer.outcome.function_error:
            return FUNCTION_ERROR
        return answer.outcome.body


_date: list[Any] = [0, ""]


def http_date() -> str:
    """The Date header's value, formatted once a second."""
    now = int(time.time())
    if _date[0] != now:
        _date[0], _date[1] = now, email.utils.formatdate(now, usegmt=True)
    return str(_date[1])


def send(responder: Responder, reply: Reply, extra: Sequence[tuple[str, str]] = ()) -> None:
    fields = [*reply.headers, *extra, ("Date", http_date())]
    responder.send(reply.status, fields, reply.body)


async def read_body(request: Request) -> bytes | None:
    try:
        return await request.body(MAX_PAYLOAD)
    except BodyTooLarge:
        return None
