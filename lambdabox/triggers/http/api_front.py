"""Every API route of the template on one port (HTTP APIs and REST APIs merged, as
`sam local start-api` serves them): routing, CORS preflights, payload 1.0/2.0 mapping."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

from lambdabox.emulator.httpserver import Request, Responder
from lambdabox.triggers.http import cors
from lambdabox.triggers.http.authorizers import Gate, Granted
from lambdabox.triggers.http.events import Incoming, event_v1, event_v2
from lambdabox.triggers.http.front import Front, read_body, send
from lambdabox.triggers.http.matching import Match, RouteTable
from lambdabox.triggers.http.model import (
    DEFAULT_ROUTE,
    HTTP_API,
    HTTP_API_TIMEOUT_S,
    REST_API,
    REST_API_TIMEOUT_S,
    Api,
    Route,
)
from lambdabox.triggers.http.responses import (
    FUNCTION_ERROR,
    GATEWAY_TIMEOUT,
    NOT_FOUND,
    TOO_LARGE,
    Reply,
    error_reply,
    reply_v1,
    reply_v2,
)
from lambdabox.triggers.ports import AppSettings, FunctionInvoker, TriggerLine


def _timed_out(responder: Responder, kind: str, request_id: str) -> None:
    if not responder.started:
        header = "apigw-requestid" if kind == HTTP_API else "x-amzn-RequestId"
        send(responder, error_reply(kind, GATEWAY_TIMEOUT), ((header, request_id),))


class ApiFront(Front):
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
        self._gate = Gate(invoker, settings)

    def describe(self) -> Sequence[TriggerLine]:
        lines = []
        for route in self.table.routes:
            api = route.api
            shown = "/*" if route.path == DEFAULT_ROUTE else route.path
            kind = "HTTP API" if api.kind == HTTP_API else "REST API"
            guard = route.authorizer.name if route.authorizer is not None else None
            lines.append(
                TriggerLine(
                    kind="http",
                    function=route.function,
                    text=f"{route.method} {self.base_url}{shown} -> {route.function} "
                    f"({kind} {api.name}, stage {api.stage}, payload {route.payload}"
                    + (f", authorizer {guard})" if guard else ")"),
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
                        "authorizer": guard,
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
                send(responder, answer)
                return
        path = request.path
        match = self.table.match(method, path)
        if match is None:
            path, match = self._staged_match(method, path)
        if match is None:
            send(responder, error_reply(self._missing_kind, NOT_FOUND))
            return
        body = await read_body(request)
        if body is None:
            send(responder, error_reply(match.route.api.kind, TOO_LARGE))
            return
        inc = self._incoming(request, body, path)
        await self._answer(match, inc, responder, headers)

    async def _answer(
        self, match: Match, inc: Incoming, responder: Responder, headers: Mapping[str, str]
    ) -> None:
        """Invoke the route's function with the request's event; send the API's response."""
        route = match.route
        api = route.api
        account = self._settings.account_id
        if route.payload == "1.0":
            event = event_v1(inc, api, match, account)
        else:
            event = event_v2(inc, api, match, account)
        request_id = event["requestContext"]["requestId"]
        if route.authorizer is not None:
            context = event["requestContext"]
            verdict = await self._gate.check(route.authorizer, inc, match, context, request_id)
            if not isinstance(verdict, Granted):
                send(responder, verdict, self._extra(api, request_id, headers))
                return
            context["authorizer"] = dict(verdict.authorizer)
        limit = route.timeout_s or (
            HTTP_API_TIMEOUT_S if api.kind == HTTP_API else REST_API_TIMEOUT_S
        )
        timer = asyncio.get_running_loop().call_later(
            limit, _timed_out, responder, api.kind, request_id
        )
        try:
            result = await self._invoke(route.function, event)
        finally:
            timer.cancel()
        if responder.started:  # the integration timed out (the function went on running)
            return
        reply: Reply | None
        if isinstance(result, str):
            reply = error_reply(api.kind, result)
        elif route.payload == "1.0":
            reply = reply_v1(result, api.kind, api.binary_media_types, headers.get("accept"))
        else:
            reply = reply_v2(result)
        if reply is None:
            reply = error_reply(api.kind, FUNCTION_ERROR)
        if api.kind == HTTP_API and api.cors is not None:
            reply = Reply(reply.status, tuple(cors.without_cors(reply.headers)), reply.body)
        send(responder, reply, self._extra(api, request_id, headers))

    @staticmethod
    def _extra(api: Api, request_id: str, headers: Mapping[str, str]) -> list[tuple[str, str]]:
        """The fields the API adds to every answer: its request id, and CORS (HTTP APIs)."""
        if api.kind != HTTP_API:
            return [("x-amzn-RequestId", request_id)]
        extra = [("apigw-requestid", request_id)]
        if api.cors is not None:
            extra.extend(cors.response_fields(api.cors, headers.get("origin")))
        return extra

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
