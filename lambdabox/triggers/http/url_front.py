"""A function URL on its own port: payload 2.0 with routeKey `$default`, BUFFERED or
RESPONSE_STREAM, its CORS settings, and AWS_IAM's refusal of unsigned requests."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import Any

from lambdabox.emulator.httpserver import Request, Responder
from lambdabox.emulator.pool import TooManyRequests
from lambdabox.triggers.http import cors, streaming
from lambdabox.triggers.http.events import event_v2
from lambdabox.triggers.http.front import MAX_PAYLOAD, Front, http_date, read_body, send
from lambdabox.triggers.http.model import (
    FUNCTION_URL,
    Api,
    FunctionUrl,
)
from lambdabox.triggers.http.responses import (
    FUNCTION_ERROR,
    THROTTLED,
    TOO_LARGE,
    Reply,
    error_reply,
    reply_v2,
)
from lambdabox.triggers.ports import AppSettings, FunctionInvoker, TriggerLine, UnknownFunction

FORBIDDEN = Reply(403, (("Content-Type", "application/json"),), b'{"Message":"Forbidden"}')


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


class UrlFront(Front):
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
            send(responder, cors.preflight(api.cors, FUNCTION_URL, origin, ()))
            return
        body = await read_body(request)
        if body is None:
            send(responder, error_reply(FUNCTION_URL, TOO_LARGE))
            return
        account = self._settings.account_id
        identity = None
        if self.url.auth_type == "AWS_IAM":
            identity = iam_identity(headers.get("authorization"), account)
            if identity is None:
                send(responder, FORBIDDEN)
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
        send(responder, reply, extra)

    async def _stream(
        self, event: dict[str, Any], responder: Responder, extra: list[tuple[str, str]]
    ) -> None:
        payload = json.dumps(event, separators=(",", ":")).encode("utf-8")
        if len(payload) > MAX_PAYLOAD:
            send(responder, error_reply(FUNCTION_URL, TOO_LARGE), extra)
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
            fields = [*head.fields, *extra, ("Date", http_date())]
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
            send(responder, error_reply(FUNCTION_URL, THROTTLED), extra)
            return
        except UnknownFunction:
            send(responder, error_reply(FUNCTION_URL, FUNCTION_ERROR), extra)
            return
        reply = None if answer.outcome.function_error else reply_v2(answer.outcome.body)
        send(responder, reply or error_reply(FUNCTION_URL, FUNCTION_ERROR), extra)
