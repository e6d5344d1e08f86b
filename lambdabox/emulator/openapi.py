"""OpenAPI 3.0 documents of the emulator's two APIs, served at `/openapi.json`.

Schemas are plain JSON Schema objects so tests (and users) can validate responses.
"""

from __future__ import annotations

import json
from typing import Any

_STR = {"type": "string"}
_INT = {"type": "integer"}

RUNTIME_ERROR = {
    "type": "object",
    "required": ["errorMessage", "errorType"],
    "properties": {"errorMessage": _STR, "errorType": _STR},
}
ACCEPTED = {"type": "object", "required": ["status"], "properties": {"status": {"const": "OK"}}}
SERVICE_ERROR = {
    "type": "object",
    "required": ["Type", "message"],
    "properties": {"Type": {"enum": ["User", "Service"]}, "message": _STR},
}
FUNCTION_ERROR = {
    "type": "object",
    "required": ["errorMessage", "errorType"],
    "properties": {
        "errorMessage": _STR,
        "errorType": _STR,
        "requestId": _STR,
        "stackTrace": {"type": "array", "items": _STR},
    },
}
REGISTER = {
    "type": "object",
    "required": ["functionName", "functionVersion", "handler"],
    "properties": {
        "functionName": _STR,
        "functionVersion": _STR,
        "handler": _STR,
        "accountId": _STR,
    },
}
EXTENSION_EVENT = {
    "type": "object",
    "required": ["eventType", "deadlineMs"],
    "properties": {
        "eventType": {"enum": ["INVOKE", "SHUTDOWN"]},
        "deadlineMs": _INT,
        "requestId": _STR,
        "invokedFunctionArn": _STR,
        "shutdownReason": _STR,
        "tracing": {"type": "object"},
    },
}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    return {str(code): _json(RUNTIME_ERROR, "Runtime API error") for code in codes}


def _op(summary: str, responses: dict[str, Any]) -> dict[str, Any]:
    return {"summary": summary, "responses": responses}


RUNTIME_API: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "Lambda Runtime API (lambdabox emulator)", "version": "2018-06-01"},
    "paths": {
        "/2018-06-01/runtime/invocation/next": {
            "get": _op(
                "Next invocation",
                {
                    "200": {"description": "The event, with Lambda-Runtime-* headers"},
                    **_errors(403, 500),
                },
            )
        },
        "/2018-06-01/runtime/invocation/{AwsRequestId}/response": {
            "post": _op("Result", {"202": _json(ACCEPTED, "Accepted"), **_errors(400, 403, 413)})
        },
        "/2018-06-01/runtime/invocation/{AwsRequestId}/error": {
            "post": _op("Error", {"202": _json(ACCEPTED, "Accepted"), **_errors(400, 403, 413)})
        },
        "/2018-06-01/runtime/init/error": {
            "post": _op("Init error", {"202": _json(ACCEPTED, "Accepted"), **_errors(403)})
        },
        "/2018-06-01/runtime/restore/next": {
            "get": _op("Restore", {"200": {"description": "Restored"}})
        },
        "/2018-06-01/runtime/restore/error": {
            "post": _op("Restore error", {"202": _json(ACCEPTED, "Accepted")})
        },
        "/2020-01-01/extension/register": {
            "post": _op(
                "Register an extension", {"200": _json(REGISTER, "Registered"), **_errors(403)}
            )
        },
        "/2020-01-01/extension/event/next": {
            "get": _op(
                "Next extension event", {"200": _json(EXTENSION_EVENT, "Event"), **_errors(403)}
            )
        },
        "/2020-01-01/extension/init/error": {
            "post": _op(
                "Extension init error", {"202": _json(ACCEPTED, "Accepted"), **_errors(403)}
            )
        },
        "/2020-01-01/extension/exit/error": {
            "post": _op(
                "Extension exit error", {"202": _json(ACCEPTED, "Accepted"), **_errors(403)}
            )
        },
        "/2022-07-01/telemetry": {
            "put": _op(
                "Subscribe to telemetry",
                {"200": {"description": "Subscribed"}, **_errors(400, 403)},
            )
        },
    },
}

INVOKE_API: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "Lambda Invoke API (lambdabox emulator)", "version": "2015-03-31"},
    "paths": {
        "/2015-03-31/functions/{FunctionName}/invocations": {
            "post": _op(
                "Invoke",
                {
                    "200": {
                        "description": "The function's result, or its error when the "
                        "X-Amz-Function-Error header is set",
                        "content": {"application/json": {"schema": {}}},
                    },
                    "202": {"description": "Event invocation queued"},
                    "204": {"description": "DryRun: the call would succeed"},
                    **{
                        str(c): _json(SERVICE_ERROR, "Service error (x-amzn-ErrorType names it)")
                        for c in (400, 404, 405, 413, 429)
                    },
                },
            )
        },
        "/2021-11-15/functions/{FunctionName}/response-streaming-invocations": {
            "post": _op(
                "Invoke with response streaming",
                {
                    "200": {
                        "description": "application/vnd.amazon.eventstream: PayloadChunk "
                        "events, then InvokeComplete"
                    },
                    **{str(c): _json(SERVICE_ERROR, "Service error") for c in (400, 413, 429)},
                },
            )
        },
    },
}

RUNTIME_API_JSON = json.dumps(RUNTIME_API).encode()
INVOKE_API_JSON = json.dumps(INVOKE_API).encode()
