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
BAD_REQUEST = {"anyOf": [SERVICE_ERROR, RUNTIME_ERROR]}
"""A 400 of the Invoke API: a service error, or (for a request that is not valid HTTP,
answered before it is routed) the HTTP layer's ``errorType``/``errorMessage`` body."""
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


def _op(
    summary: str,
    responses: dict[str, Any],
    parameters: tuple[dict[str, Any], ...] = (),
    body: dict[str, Any] | None = None,
) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "responses": responses}
    if parameters:
        op["parameters"] = list(parameters)
    if body is not None:
        op["requestBody"] = {"content": {"application/json": {"schema": body}}}
    return op


def _param(where: str, name: str, schema: dict[str, Any], required: bool = False) -> dict[str, Any]:
    return {"in": where, "name": name, "required": required or where == "path", "schema": schema}


_REQUEST_ID = _param("path", "AwsRequestId", _STR)
_ERROR_TYPE = _param("header", "Lambda-Runtime-Function-Error-Type", _STR)
_EXTENSION_ID = _param("header", "Lambda-Extension-Identifier", _STR)
_ANY: dict[str, Any] = {}
_INVOKE_PARAMS = (
    _param("path", "FunctionName", _STR),
    _param("query", "Qualifier", _STR),
    _param("header", "X-Amz-Invocation-Type", {"enum": ["RequestResponse", "Event", "DryRun"]}),
    _param("header", "X-Amz-Log-Type", {"enum": ["None", "Tail"]}),
    _param("header", "X-Amz-Client-Context", _STR),
)


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
            "post": _op(
                "Result",
                {"202": _json(ACCEPTED, "Accepted"), **_errors(400, 403, 413)},
                (_REQUEST_ID,),
                _ANY,
            )
        },
        "/2018-06-01/runtime/invocation/{AwsRequestId}/error": {
            "post": _op(
                "Error",
                {"202": _json(ACCEPTED, "Accepted"), **_errors(400, 403, 413)},
                (_REQUEST_ID, _ERROR_TYPE),
                _ANY,
            )
        },
        "/2018-06-01/runtime/init/error": {
            "post": _op(
                "Init error",
                {"202": _json(ACCEPTED, "Accepted"), **_errors(403)},
                (_ERROR_TYPE,),
                _ANY,
            )
        },
        "/2018-06-01/runtime/restore/next": {
            "get": _op("Restore", {"200": {"description": "Restored"}})
        },
        "/2018-06-01/runtime/restore/error": {
            "post": _op("Restore error", {"202": _json(ACCEPTED, "Accepted")})
        },
        "/2020-01-01/extension/register": {
            "post": _op(
                "Register an extension",
                {"200": _json(REGISTER, "Registered"), **_errors(400, 403)},
                (_param("header", "Lambda-Extension-Name", _STR, required=True),),
                {
                    "type": "object",
                    "properties": {
                        "events": {"type": "array", "items": {"enum": ["INVOKE", "SHUTDOWN"]}}
                    },
                },
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

for _item in RUNTIME_API["paths"].values():
    for _operation in _item.values():
        # Any request that is not valid HTTP (or has an invalid header) gets a 400.
        _operation["responses"].setdefault("400", _json(RUNTIME_ERROR, "Invalid request"))

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
                        for c in (404, 405, 413, 429)
                    },
                    "400": _json(BAD_REQUEST, "Invalid request (x-amzn-ErrorType names it)"),
                },
                _INVOKE_PARAMS,
                _ANY,
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
                    "204": {"description": "DryRun: the call would succeed"},
                    **{str(c): _json(SERVICE_ERROR, "Service error") for c in (404, 405, 413, 429)},
                    "400": _json(BAD_REQUEST, "Invalid request"),
                },
                _INVOKE_PARAMS,
                _ANY,
            )
        },
    },
}

RUNTIME_API_JSON = json.dumps(RUNTIME_API).encode()
INVOKE_API_JSON = json.dumps(INVOKE_API).encode()
