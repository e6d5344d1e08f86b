"""The Runtime API served to one environment's runtime: routes, status codes, error shapes.

Status codes and errorType strings are the service's (and aws-lambda-rie's), so every
runtime interface client behaves here as it does in the cloud.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
from typing import TYPE_CHECKING, Any

from lambdabox.emulator.httpserver import BodyTooLarge, Request, Responder
from lambdabox.emulator.invocation import Invocation, Outcome
from runtime_interface import protocol as p

if TYPE_CHECKING:
    from lambdabox.emulator.environment.lifecycle import EnvironmentLifecycle

_JSON = [("Content-Type", "application/json")]
_ACCEPTED = b'{"status":"OK"}'
_RESPONSE_SUFFIX = "/response"
_ERROR_SUFFIX = "/error"
_INVOCATION_PREFIX = p.RUNTIME_PREFIX + "/invocation/"
MAX_STREAMED_BYTES = 20 * 1024 * 1024  # the service's default limit for streamed responses


class RuntimeGone(Exception):
    """Set on a waiting /next when its runtime disconnected or the environment is reset."""


def abandon(waiter: asyncio.Future[Any]) -> None:
    if not waiter.done():
        waiter.set_exception(RuntimeGone())


def error_body(error_type: str, message: str) -> bytes:
    return json.dumps({"errorMessage": message, "errorType": error_type}).encode()


def _reject(responder: Responder, status: int, error_type: str, message: str) -> None:
    responder.send(status, _JSON, error_body(error_type, message))


class RuntimeAPI:
    """Route table and handlers; state lives in the Environment."""

    def __init__(self, env: EnvironmentLifecycle) -> None:
        self._env = env

    async def handle(self, request: Request, responder: Responder) -> None:
        path, method = request.path, request.method
        if path == p.NEXT_PATH and method == "GET":
            await self._next(request, responder)
        elif path.startswith(_INVOCATION_PREFIX) and method == "POST":
            await self._post(request, responder)
        elif path == p.INIT_ERROR_PATH and method == "POST":
            await self._init_error(request, responder)
        elif path == p.RESTORE_NEXT_PATH and method == "GET":
            responder.send(200, (), b"")
        elif path == p.RESTORE_ERROR_PATH and method == "POST":
            await request.body(p.MAX_PAYLOAD_BYTES)
            responder.send(202, _JSON, _ACCEPTED)
        elif path == "/openapi.json" and method == "GET":
            from lambdabox.emulator import openapi

            responder.send(200, _JSON, openapi.RUNTIME_API_JSON)
        elif path == "/2018-06-01/ping":
            responder.send(200, [("Content-Type", "text/plain")], b"pong")
        elif not await self._env.sidecars.handle(request, responder):
            _reject(responder, 404, "NotFound", f"No route for {method} {path}")

    async def _next(self, request: Request, responder: Responder) -> None:
        env = self._env
        if env.init_error is not None:
            _reject(
                responder,
                403,
                "InvalidStateTransition",
                "State transition from InitError to Ready failed for runtime. "
                "Error: State transition is not allowed",
            )
            return
        env.runtime_ready()
        waiter: asyncio.Future[Invocation] = asyncio.get_running_loop().create_future()
        gone = request.disconnect_future()
        gone.add_done_callback(lambda _: abandon(waiter))
        env.add_waiter(waiter)
        try:
            inv = await waiter
        except RuntimeGone:
            # The runtime went away or is being reset: nothing was handed to it.
            _reject(responder, 500, "InternalServerError", "The runtime is being reset")
            return
        finally:
            gone.cancel()
        responder.send(200, inv.next_headers(), inv.payload)

    async def _post(self, request: Request, responder: Responder) -> None:
        rest = request.path[len(_INVOCATION_PREFIX) :]
        if rest.endswith(_RESPONSE_SUFFIX):
            request_id, kind = rest[: -len(_RESPONSE_SUFFIX)], "response"
        elif rest.endswith(_ERROR_SUFFIX):
            request_id, kind = rest[: -len(_ERROR_SUFFIX)], "error"
        else:
            _reject(responder, 404, "NotFound", f"No route for POST {request.path}")
            return
        inv = self._env.inflight.get(request_id)
        echoed = request.headers.get("lambda-runtime-invocation-id")
        if inv is None or (echoed and echoed != inv.invocation_id):
            _reject(responder, 400, "InvalidRequestID", "Invalid request ID")
            return
        if inv.outcome.done():
            _reject(
                responder,
                403,
                "InvalidStateTransition",
                "State transition from RuntimeResponseSent to InvocationResponse failed for "
                "runtime. Error: State transition is not allowed",
            )
            return
        mode = request.headers.get(p.RESPONSE_MODE.lower())
        if kind == "response" and mode is not None and mode.lower() != p.RESPONSE_MODE_STREAMING:
            _reject(
                responder, 400, "InvalidFunctionResponseMode", f"Invalid response mode {mode!r}"
            )
            inv.settle(Outcome.error("Runtime.InvalidResponseModeHeader", "Invalid response mode"))
            return
        streaming = kind == "response" and mode is not None
        if streaming and inv.stream is not None:
            await self._relay(request, responder, inv)
            return
        try:
            body = await request.body(p.MAX_PAYLOAD_BYTES)
        except BodyTooLarge:
            limit = p.MAX_PAYLOAD_BYTES
            _reject(
                responder,
                413,
                "RequestEntityTooLarge",
                f"Exceeded maximum allowed payload size ({limit} bytes).",
            )
            inv.settle(
                Outcome.error(
                    "Function.ResponseSizeTooLarge",
                    f"Response payload size exceeded maximum allowed payload size ({limit} bytes).",
                )
            )
            return
        if kind == "response":
            outcome = self._response_outcome(request, body)
        else:
            outcome = self._error_outcome(request, body)
        inv.settle(outcome)
        responder.send(202, _JSON, _ACCEPTED)

    async def _relay(self, request: Request, responder: Responder, inv: Invocation) -> None:
        """Pass a streamed response's chunks to the caller as they arrive."""
        assert inv.stream is not None
        sent = 0
        try:
            async for chunk in request.chunks():
                sent += len(chunk)
                if sent > MAX_STREAMED_BYTES:
                    raise BodyTooLarge(f"over {MAX_STREAMED_BYTES} bytes")
                inv.stream.put_nowait(chunk)
        except BodyTooLarge:
            inv.stream.put_nowait(None)
            _reject(
                responder,
                413,
                "RequestEntityTooLarge",
                f"Exceeded maximum allowed streamed payload size ({MAX_STREAMED_BYTES} bytes).",
            )
            inv.settle(
                Outcome.error(
                    "Function.ResponseSizeTooLarge",
                    f"Streamed response exceeded {MAX_STREAMED_BYTES} bytes.",
                )
            )
            return
        inv.stream.put_nowait(None)
        inv.settle(self._response_outcome(request, b""))
        responder.send(202, _JSON, _ACCEPTED)

    def _response_outcome(self, request: Request, body: bytes) -> Outcome:
        content_type = request.headers.get("content-type", p.CONTENT_TYPE_JSON)
        error_type = request.trailers.get(p.FUNCTION_ERROR_TYPE.lower())
        if error_type:  # a streamed response that failed midway
            encoded = request.trailers.get(p.FUNCTION_ERROR_BODY.lower(), "")
            try:
                error = base64.b64decode(encoded, validate=True) if encoded else b""
            except binascii.Error:
                error = b""
            return Outcome(error or error_body(error_type, ""), p.CONTENT_TYPE_JSON, True)
        return Outcome(body, content_type)

    def _error_outcome(self, request: Request, body: bytes) -> Outcome:
        error_type = request.headers.get(p.FUNCTION_ERROR_TYPE.lower()) or "Runtime.Unknown"
        try:
            json.loads(body)
        except ValueError:  # the spec: build the error from the header when there is no payload
            body = error_body(error_type, "")
        return Outcome(body, p.CONTENT_TYPE_JSON, True)

    async def _init_error(self, request: Request, responder: Responder) -> None:
        env = self._env
        body = await request.body(p.MAX_PAYLOAD_BYTES)
        if env.init_error is not None or env.state.value != "initializing":
            _reject(
                responder,
                403,
                "InvalidStateTransition",
                "State transition from Ready to InitError failed for runtime. "
                "Error: State transition is not allowed",
            )
            return
        error_type = request.headers.get(p.FUNCTION_ERROR_TYPE.lower()) or "Runtime.Unknown"
        try:
            json.loads(body)
        except ValueError:
            body = error_body(error_type, "")
        env.runtime_init_error(Outcome(body, p.CONTENT_TYPE_JSON, True))
        responder.send(202, _JSON, _ACCEPTED)
