"""The HTTP front: servers that turn requests into invocations and results into responses.

`ApiFront` serves every API route of the template on one port (as `sam local start-api`
does: no stage prefix in paths); each function URL has a `UrlFront` on a port of its own.
Requests run concurrently up to the function's environments: a request that finds none
free gets the service's throttling answer at once (never a new environment per request).
"""

from __future__ import annotations

import asyncio
import email.utils
import errno
import json
import time
from collections.abc import Sequence
from typing import Any

from lambdabox.emulator.httpserver import BodyTooLarge, HTTPServer, Request, Responder
from lambdabox.emulator.httpserver.parsing import field_list
from lambdabox.emulator.pool import TooManyRequests
from lambdabox.triggers.http import cors, streaming
from lambdabox.triggers.http.errors import HttpTriggerError
from lambdabox.triggers.http.events import Incoming, event_v1, event_v2
from lambdabox.triggers.http.matching import Match, RouteTable
from lambdabox.triggers.http.model import (
    DEFAULT_ROUTE,
    FUNCTION_URL,
    HTTP_API,
    REST_API,
    Api,
    FunctionUrl,
    Route,
)
from lambdabox.triggers.http.responses import (
    FUNCTION_ERROR,
    NOT_FOUND,
    THROTTLED,
    TOO_LARGE,
    Reply,
    error_reply,
    reply_v1,
    reply_v2,
)
from lambdabox.triggers.ports import AppSettings, FunctionInvoker, TriggerLine, UnknownFunction

FORBIDDEN = Reply(403, (("Content-Type", "application/json"),), b'{"Message":"Forbidden"}')
MAX_PAYLOAD = 6 * 1024 * 1024  # Lambda's synchronous invocation payload limit (6,291,456 bytes)


class _Front:
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
        payload = json.dumps(event, separators=(",", ":")).encode("utf-8")
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


def iam_identity(authorization: str | None, account_id: str) -> dict[str, Any] | None:
    """`requestContext.authorizer.iam` for a SigV4-signed request; None when it is unsigned.

    The signature itself is not verified (local credentials are arbitrary): an AWS_IAM
    function URL only refuses requests that are not signed at all, with the service's 403.
    """
    if not authorization or not authorization.startswith("AWS4-HMAC-SHA256 "):
        return None
    credential = authorization.partition("Credential=")[2].split(",", 1)[0]
    access_key = credential.split("/", 1)[0]
    if not access_key:
        return None
    return {
        "accessKey": access_key,
        "accountId": account_id,
        "callerId": access_key,
        "cognitoIdentity": None,
        "principalOrgId": None,
        "userArn": f"arn:aws:iam::{account_id}:user/{access_key}",
        "userId": access_key,
    }


def _send(responder: Responder, reply: Reply, extra: Sequence[tuple[str, str]] = ()) -> None:
    fields = [*reply.headers, *extra, ("Date", email.utils.formatdate(usegmt=True))]
    responder.send(reply.status, fields, reply.body)


async def _read_body(request: Request) -> bytes | None:
    try:
        return await request.body(MAX_PAYLOAD)
    except BodyTooLarge:
        return None


class ApiFront(_Front):
    """Every API route of the template, on `settings.http_port`."""

    def __init__(
        self, routes: Sequence[Route], invoker: FunctionInvoker, settings: AppSettings
    ) -> None:
        super().__init__(invoker, settings, settings.http_port, "http-front")
        self.table = RouteTable(routes)
        kinds = {r.api.kind for r in routes}
        self._missing_kind = HTTP_API if HTTP_API in kinds or not kinds else REST_API
        self._cors_apis = [r.api for r in routes if r.api.cors is not None]
        self._stages = {r.api.stage for r in routes if r.api.stage != "$default"}

    def describe(self) -> Sequence[TriggerLine]:
        lines = []
        for route in self.table.routes:
            api = route.api
            shown = "/*" if route.path == DEFAULT_ROUTE else route.path
            kind = "HTTP API" if api.kind == HTTP_API else "REST API"
            lines.append(
                TriggerLine(
                    kind="http",
                    function=route.function,
                    text=f"{route.method} {self.base_url}{shown} -> {route.function} "
                    f"({kind} {api.name}, stage {api.stage}, payload {route.payload})",
                    detail={
                        "method": route.method,
                        "path": route.path,
                        "route_key": route.route_key,
                        "url": f"{self.base_url}{shown}",
                        "api": api.name,
                        "api_kind": api.kind,
                        "api_id": api.api_id,
                        "stage": api.stage,
                        "payload_format": route.payload,
                    },
                )
            )
        return lines

    async def _handle(self, request: Request, responder: Responder) -> None:
        headers = request.headers
        origin = headers.get("origin")
        method = request.method
        if cors.is_preflight(method, origin, headers.get("access-control-request-method")):
            answer = self._preflight(request.path, origin, headers["access-control-request-method"])
            if answer is not None:
                _send(responder, answer)
                return
        path = request.path
        match = self.table.match(method, path)
        if match is None:
            path, match = self._staged_match(method, path)
        if match is None:
            _send(responder, error_reply(self._missing_kind, NOT_FOUND))
            return
        route = match.route
        api = route.api
        body = await _read_body(request)
        if body is None:
            _send(responder, error_reply(api.kind, TOO_LARGE))
            return
        inc = self._incoming(request, body, path)
        account = self._settings.account_id
        if route.payload == "1.0":
            event = event_v1(inc, api, match, account)
        else:
            event = event_v2(inc, api, match, account)
        result = await self._invoke(route.function, event)
        reply: Reply | None
        if isinstance(result, str):
            reply = error_reply(api.kind, result)
        else:
            if route.payload == "1.0":
                reply = reply_v1(result, api.kind, api.binary_media_types, headers.get("accept"))
            else:
                reply = reply_v2(result)
            if reply is None:
                reply = error_reply(api.kind, FUNCTION_ERROR)
        extra: list[tuple[str, str]] = []
        if api.kind == HTTP_API:
            extra.append(("apigw-requestid", event["requestContext"]["requestId"]))
            if api.cors is not None:
                reply = Reply(reply.status, tuple(cors.without_cors(reply.headers)), reply.body)
                extra.extend(cors.response_fields(api.cors, origin))
        else:
            extra.append(("x-amzn-RequestId", event["requestContext"]["requestId"]))
        _send(responder, reply, extra)

    def _staged_match(self, method: str, path: str) -> tuple[str, Match | None]:
        """A match for a path that starts with its API's stage (`/Prod/hello`), as the
        service's own URLs do; the stage is not part of the route's path."""
        stage, sep, rest = path[1:].partition("/")
        if not sep or stage not in self._stages:
            return path, None
        match = self.table.match(method, "/" + rest)
        if match is None or match.route.api.stage != stage:
            return path, None
        return "/" + rest, match

    def _preflight(self, path: str, origin: str | None, wanted: str) -> Reply | None:
        """The API's answer to a preflight, or None when no API with CORS takes it."""
        match = self.table.match(wanted.upper(), path)
        api = match.route.api if match else None
        if api is None or api.cors is None:
            route = self.table.route_on(path)
            api = route.api if route is not None and route.api.cors is not None else None
        if api is None:
            http = [a for a in self._cors_apis if a.kind == HTTP_API]
            api = http[0] if http else None
        if api is None or api.cors is None:
            return None
        methods = set(self.table.methods(path)) if api.kind == REST_API else set()
        if api.kind == REST_API and not methods:
            return None
        return cors.preflight(api.cors, api.kind, origin, methods)


class UrlFront(_Front):
    """One function URL: every request on its port goes to the function."""

    def __init__(
        self,
        url: FunctionUrl,
        invoker: FunctionInvoker,
        settings: AppSettings,
        port: int,
        scan: int = 0,
    ) -> None:
        super().__init__(invoker, settings, port, f"function URL of {url.function}", scan)
        self.url = url

    def describe(self) -> Sequence[TriggerLine]:
        url = self.url
        return [
            TriggerLine(
                kind="url",
                function=url.function,
                text=f"{self.base_url}/ -> {url.function} (function URL, {url.invoke_mode}, "
                f"auth {url.auth_type})",
                detail={
                    "url": f"{self.base_url}/",
                    "invoke_mode": url.invoke_mode,
                    "auth_type": url.auth_type,
                    "url_id": url.api.api_id,
                },
            )
        ]

    async def _handle(self, request: Request, responder: Responder) -> None:
        api: Api = self.url.api
        headers = request.headers
        origin = headers.get("origin")
        if api.cors is not None and cors.is_preflight(
            request.method, origin, headers.get("access-control-request-method")
        ):
            _send(responder, cors.preflight(api.cors, FUNCTION_URL, origin, ()))
            return
        body = await _read_body(request)
        if body is None:
            _send(responder, error_reply(FUNCTION_URL, TOO_LARGE))
            return
        account = self._settings.account_id
        identity = None
        if self.url.auth_type == "AWS_IAM":
            identity = iam_identity(headers.get("authorization"), account)
            if identity is None:
                _send(responder, FORBIDDEN)
                return
        event = event_v2(self._incoming(request, body), api, None, account)
        if identity is not None:
            event["requestContext"]["authorizer"] = {"iam": identity}
        extra = [("x-amzn-RequestId", event["requestContext"]["requestId"])]
        if api.cors is not None:
            extra.extend(cors.response_fields(api.cors, origin))
        if self.url.invoke_mode == "RESPONSE_STREAM":
            await self._stream(event, responder, extra)
            return
        result = await self._invoke(self.url.function, event)
        reply = error_reply(FUNCTION_URL, result) if isinstance(result, str) else reply_v2(result)
        if reply is None:
            reply = error_reply(FUNCTION_URL, FUNCTION_ERROR)
        if api.cors is not None:
            reply = Reply(reply.status, tuple(cors.without_cors(reply.headers)), reply.body)
        _send(responder, reply, extra)

    async def _stream(
        self, event: dict[str, Any], responder: Responder, extra: list[tuple[str, str]]
    ) -> None:
        payload = json.dumps(event, separators=(",", ":")).encode("utf-8")
        if len(payload) > MAX_PAYLOAD:
            _send(responder, error_reply(FUNCTION_URL, TOO_LARGE), extra)
            return
        queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        task = asyncio.ensure_future(
            self._invoker.invoke(self.url.function, payload, stream=queue, wait=False)
        )
        try:
            await self._relay(queue, task, responder, extra)
        finally:
            if not task.done():
                task.cancel()

    async def _relay(
        self,
        queue: asyncio.Queue[bytes | None],
        task: asyncio.Future[Any],
        responder: Responder,
        extra: list[tuple[str, str]],
    ) -> None:
        buffer = b""
        writer = None
        while True:
            streamed, chunk = await streaming.next_chunk(queue, task)
            if not streamed:  # the invocation answered without streaming
                break
            if writer is not None:
                if chunk is None:
                    break
                await writer.write(chunk)
                continue
            buffer += chunk or b""
            decided = streaming.parse_prelude(buffer, final=chunk is None)
            if decided is None:
                continue
            head, rest = decided
            fields = [*head.fields, *extra, ("Date", email.utils.formatdate(usegmt=True))]
            writer = responder.start(head.status, fields)
            await writer.write(rest)
            if chunk is None:
                break
        if writer is not None:
            await writer.end()
            return
        try:
            answer = await task
        except TooManyRequests:
            _send(responder, error_reply(FUNCTION_URL, THROTTLED), extra)
            return
        except UnknownFunction:
            _send(responder, error_reply(FUNCTION_URL, FUNCTION_ERROR), extra)
            return
        reply = None if answer.outcome.function_error else reply_v2(answer.outcome.body)
        _send(responder, reply or error_reply(FUNCTION_URL, FUNCTION_ERROR), extra)
