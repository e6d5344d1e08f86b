"""The Lambda Invoke API as callers (AWS SDKs, curl, `lambdabox invoke`) see it."""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, unquote

from lambdabox.emulator.config import FunctionConfig
from lambdabox.emulator.httpserver import BodyTooLarge, Request, Responder
from lambdabox.emulator.invocation import Invocation, Outcome
from lambdabox.emulator.pool import Pool, TooManyRequests

if TYPE_CHECKING:
    from lambdabox.emulator.asyncinvoke import AsyncInvoker

MAX_REQUEST_BYTES = 6 * 1024 * 1024  # 6291456: the service's synchronous request limit
MAX_EVENT_REQUEST_BYTES = 256 * 1024
LOG_TAIL_BYTES = 4096
_PREFIX = "/2015-03-31/functions/"
_SUFFIX = "/invocations"
_STREAM_PREFIX = "/2021-11-15/functions/"
_STREAM_SUFFIX = "/response-streaming-invocations"


def service_error(responder: Responder, status: int, error_type: str, message: str) -> None:
    """An AWS service error: x-amzn-ErrorType header and {"Type","message"} body."""
    kind = "Service" if status >= 500 else "User"
    body = json.dumps({"Type": kind, "message": message}).encode()
    responder.send(
        status,
        [("Content-Type", "application/json"), ("x-amzn-ErrorType", error_type)],
        body,
    )


class InvokeAPI:
    """POST /2015-03-31/functions/{name}/invocations, plus Event queueing and DryRun."""

    def __init__(
        self,
        pool: Pool,
        function: FunctionConfig,
        asynchronous: AsyncInvoker | Callable[[], AsyncInvoker] | None = None,
    ) -> None:
        """`asynchronous`: the Event queue, or what makes it when the first Event
        invocation comes (then `lambdabox.emulator.asyncinvoke` is imported only then);
        by default an in-memory queue, made then."""
        self._pool = pool
        self._function = function
        self._async: AsyncInvoker | None = None
        self._make_async = self._in_memory_queue
        if callable(asynchronous):
            self._make_async = asynchronous
        elif asynchronous is not None:
            self._async = asynchronous
        self._workers = 0
        self.on_first_answer: Callable[[], None] | None = None
        """Called once, after the first synchronous answer (start-up phases at debug)."""

    def _in_memory_queue(self) -> AsyncInvoker:
        from lambdabox.emulator.asyncinvoke import AsyncInvoker, Journal

        return AsyncInvoker(self._pool, self._function, Journal(None, self._function.name))

    def start_event_workers(self, count: int) -> None:
        """Resume journalled Event invocations and start `count` workers: now when the
        queue was given, else once the first Event invocation makes it."""
        self._workers = count
        if self._async is not None:
            self._async.start(count)

    def _queue(self) -> AsyncInvoker:
        if self._async is None:
            self._async = self._make_async()
            if self._workers:  # else start_event_workers starts it
                self._async.start(self._workers)
        return self._async

    async def close(self) -> None:
        """Drain queued Event invocations for a bounded time, then stop."""
        if self._async is not None:
            await self._async.close()

    async def accept_event(self, inv: Invocation) -> None:
        """Take an Event invocation: journalled now, run with the service's asynchronous
        semantics (retries, event age, destinations) by `lambdabox.emulator.asyncinvoke`."""
        await self._queue().accept(inv)

    async def handle(self, request: Request, responder: Responder) -> None:
        path = request.path
        if path == "/openapi.json" and request.method == "GET":
            from lambdabox.emulator import openapi

            responder.send(200, [("Content-Type", "application/json")], openapi.INVOKE_API_JSON)
            return
        if path.startswith(_STREAM_PREFIX) and path.endswith(_STREAM_SUFFIX):
            if request.method != "POST":
                service_error(responder, 405, "MethodNotAllowedException", "Use POST to invoke")
                return
            name = unquote(path[len(_STREAM_PREFIX) : -len(_STREAM_SUFFIX)])
            await self._invoke(request, responder, name, streaming=True)
            return
        if not (path.startswith(_PREFIX) and path.endswith(_SUFFIX)):
            if path == "/2015-03-31/functions" or path.startswith(_PREFIX):
                service_error(responder, 404, "ResourceNotFoundException", f"No route {path}")
            else:
                service_error(responder, 404, "UnknownOperationException", f"Unknown path {path}")
            return
        if request.method != "POST":
            service_error(responder, 405, "MethodNotAllowedException", "Use POST to invoke")
            return
        await self._invoke(request, responder, unquote(path[len(_PREFIX) : -len(_SUFFIX)]))

    async def _invoke(
        self, request: Request, responder: Responder, name: str, streaming: bool = False
    ) -> None:
        headers = request.headers
        kind = headers.get("x-amz-invocation-type", "RequestResponse")
        if kind not in ("RequestResponse", "Event", "DryRun") or (streaming and kind == "Event"):
            message = f"Invalid invocation type {kind!r}: use RequestResponse, Event or DryRun"
            service_error(responder, 400, "InvalidParameterValueException", message)
            return
        limit = MAX_EVENT_REQUEST_BYTES if kind == "Event" else MAX_REQUEST_BYTES
        try:
            payload = await request.body(limit)
        except BodyTooLarge:
            message = f"Request must be smaller than {limit} bytes for the InvokeFunction operation"
            service_error(responder, 413, "RequestEntityTooLargeException", message)
            return
        try:
            client_context = _client_context(headers.get("x-amz-client-context"))
        except _BadClientContext:
            message = "Client context must be a valid Base64-encoded JSON object."
            service_error(responder, 400, "InvalidRequestContentException", message)
            return
        qualifier = parse_qs(request.query).get("Qualifier", [""])[0]
        arn = (
            self._function.arn
            if name in ("function", self._function.name)
            else (self._function.arn.rsplit(":", 1)[0] + ":" + name.rsplit(":", 1)[-1])
        )
        inv = Invocation(
            payload=payload,
            arn=f"{arn}:{qualifier}" if qualifier else arn,
            timeout_s=self._function.timeout_s,
            content_type=_event_content_type(headers.get("content-type")),
            client_context=client_context,
            tenant_id=headers.get("x-amz-tenant-id"),
        )
        if "x-amzn-trace-id" in headers:
            inv.trace_id = headers["x-amzn-trace-id"]
        common = [
            ("x-amzn-RequestId", inv.request_id),
            ("X-Amzn-Trace-Id", inv.trace_id),
            ("X-Amz-Executed-Version", self._function.version),
        ]
        if kind == "DryRun":
            responder.send(204, common)
            return
        if kind == "Event":
            await self.accept_event(inv)
            responder.send(202, common)
            return
        if streaming:
            await self._stream(inv, responder, common, headers)
            return
        try:
            outcome = await self._pool.invoke(inv)
        except TooManyRequests:
            service_error(responder, 429, "TooManyRequestsException", "Rate Exceeded.")
            return
        if headers.get("x-amz-log-type") == "Tail":  # the tail ends with END and REPORT
            await inv.finished.wait()
        responder.send(200, self._answer_headers(inv, outcome, common, headers), outcome.body)
        if self.on_first_answer is not None:
            first, self.on_first_answer = self.on_first_answer, None
            first()

    async def _stream(
        self,
        inv: Invocation,
        responder: Responder,
        common: list[tuple[str, str]],
        request_headers: dict[str, str],
    ) -> None:
        """Relay the runtime's chunks as PayloadChunk events as they arrive, then InvokeComplete."""
        from lambdabox.emulator import eventstream  # only streaming callers pay for it

        queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        inv.stream = queue
        run = asyncio.ensure_future(self._pool.invoke(inv))
        getter = asyncio.ensure_future(queue.get())
        await asyncio.wait([run, getter], return_when=asyncio.FIRST_COMPLETED)
        if run.done() and isinstance(run.exception(), TooManyRequests):
            getter.cancel()
            service_error(responder, 429, "TooManyRequestsException", "Rate Exceeded.")
            return
        writer = responder.start(200, [("Content-Type", eventstream.CONTENT_TYPE), *common])
        streamed = False
        while True:
            if not getter.done():
                await asyncio.wait([run, getter], return_when=asyncio.FIRST_COMPLETED)
            if getter.done():
                chunk = getter.result()
                if chunk is None:
                    break
                streamed = True
                await writer.write(eventstream.payload_chunk(chunk))
                getter = asyncio.ensure_future(queue.get())
                continue
            getter.cancel()  # the invocation ended: pass on what is still queued
            while not queue.empty() and (chunk := queue.get_nowait()) is not None:
                streamed = True
                await writer.write(eventstream.payload_chunk(chunk))
            break
        outcome = await run
        code: str | None = None
        details: str | None = None
        if outcome.function_error:
            code, details = _error_fields(outcome.body)
        elif outcome.body and not streamed:  # the runtime answered without streaming
            await writer.write(eventstream.payload_chunk(outcome.body))
        tail = None
        if request_headers.get("x-amz-log-type") == "Tail":
            await inv.finished.wait()
            tail = _log_tail(inv)
        await writer.write(eventstream.invoke_complete(code, details, tail))
        await writer.end()

    def _answer_headers(
        self,
        inv: Invocation,
        outcome: Outcome,
        common: list[tuple[str, str]],
        request_headers: dict[str, str],
    ) -> list[tuple[str, str]]:
        out = [("Content-Type", outcome.content_type), *common]
        if outcome.function_error:
            out.append(("X-Amz-Function-Error", "Unhandled"))
        if request_headers.get("x-amz-log-type", "None") == "Tail":
            out.append(("X-Amz-Log-Result", _log_tail(inv)))
        return out


def _event_content_type(value: str | None) -> str:
    """The caller's Content-Type goes to the runtime, except none or curl -d's form default:
    those payloads are JSON events, as with aws-lambda-rie."""
    if not value or value.split(";")[0].strip().lower() == "application/x-www-form-urlencoded":
        return "application/json"
    return value


def _log_tail(inv: Invocation) -> str:
    """The last 4 KB of the invocation's log, base64-encoded (X-Amz-Log-Result)."""
    tail = ("\n".join(inv.logs) + "\n").encode()[-LOG_TAIL_BYTES:]
    return base64.b64encode(tail).decode("ascii")


def _error_fields(body: bytes) -> tuple[str, str | None]:
    try:
        error = json.loads(body)
        return str(error.get("errorType") or "Unhandled"), error.get("errorMessage")
    except (ValueError, AttributeError):
        return "Unhandled", None


class _BadClientContext(ValueError):
    pass


def _client_context(header: str | None) -> str | None:
    """The decoded client context JSON (None when absent); _BadClientContext when malformed."""
    if not header:
        return None
    try:
        text = base64.b64decode(header, validate=True).decode("utf-8")
        value = json.loads(text)
        if isinstance(value, dict):
            # It is handed on as a header field: non-ASCII or line breaks are re-escaped.
            return text if text.isascii() and text.isprintable() else json.dumps(value)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise _BadClientContext(header)
