"""Function results as HTTP responses, and the service's own error answers.

2.0 (HTTP API, function URLs): a result with `statusCode` gives its status, `headers`,
`cookies` (one Set-Cookie each) and `body` (decoded when `isBase64Encoded`); any other valid
JSON is a 200 `application/json` response carrying that JSON. 1.0: `statusCode`, `headers`
merged with `multiValueHeaders` (which win on the same name), `body`, `isBase64Encoded` (a
REST API decodes it only for its binary media types). Anything else is malformed.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lambdabox.triggers.http.events import matches_binary
from lambdabox.triggers.http.model import FUNCTION_URL, HTTP_API, REST_API

_JSON = ("Content-Type", "application/json")
_REST_KEYS = frozenset({"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"})
_DROPPED = frozenset({"connection", "content-length", "transfer-encoding"})

FUNCTION_ERROR = "function_error"  # function error, timeout, crash or malformed response
THROTTLED = "throttled"  # no free environment
NOT_FOUND = "not_found"  # no route for the method and path
TOO_LARGE = "too_large"  # the request (or its event) is over 6 MB
GATEWAY_TIMEOUT = "gateway_timeout"  # the function ran past the integration timeout

# (status, body, x-amzn-ErrorType) for each API kind and situation.
_ERRORS: dict[str, dict[str, tuple[int, bytes, str | None]]] = {
    REST_API: {
        FUNCTION_ERROR: (
            502,
            b'{"message": "Internal server error"}',
            "InternalServerErrorException",
        ),
        THROTTLED: (500, b'{"message": "Internal server error"}', "InternalServerErrorException"),
        NOT_FOUND: (
            403,
            b'{"message":"Missing Authentication Token"}',
            "MissingAuthenticationTokenException",
        ),
        TOO_LARGE: (413, b'{"message":"Request Too Long"}', "RequestTooLongException"),
        GATEWAY_TIMEOUT: (
            504,
            b'{"message": "Endpoint request timed out"}',
            "InternalServerErrorException",
        ),
    },
    HTTP_API: {
        FUNCTION_ERROR: (500, b'{"message":"Internal Server Error"}', None),
        THROTTLED: (500, b'{"message":"Internal Server Error"}', None),
        NOT_FOUND: (404, b'{"message":"Not Found"}', None),
        TOO_LARGE: (413, b'{"message":"Request Entity Too Large"}', None),
        GATEWAY_TIMEOUT: (503, b'{"message":"Service Unavailable"}', None),
    },
    FUNCTION_URL: {
        FUNCTION_ERROR: (502, b"Internal Server Error", None),
        THROTTLED: (
            429,
            b'{"Reason":"ReservedFunctionConcurrentInvocationLimitExceeded",'
            b'"Type":"User","message":"Rate Exceeded."}',
            None,
        ),
        NOT_FOUND: (404, b'{"message":"Not Found"}', None),
        TOO_LARGE: (
            413,
            b'{"Message":"Request must be smaller than 6291456 bytes for the '
            b'InvokeFunction operation"}',
            None,
        ),
    },
}


@dataclass(frozen=True)
class Reply:
    """An HTTP response to send."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


def error_reply(kind: str, situation: str) -> Reply:
    """The service's own answer for `situation` on an API of `kind`."""
    status, body, error_type = _ERRORS[kind][situation]
    headers: tuple[tuple[str, str], ...] = (_JSON,)
    if error_type:
        headers += (("x-amzn-ErrorType", error_type),)
    return Reply(status, headers, body)


def _status(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and 100 <= value <= 599:
        return value
    if isinstance(value, str) and value.isdigit() and 100 <= int(value) <= 599:
        return int(value)
    return None


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _body(value: Mapping[str, Any], decode: bool) -> bytes | None:
    body = value.get("body")
    if body is None:
        return b""
    if not isinstance(body, str):
        return None
    if decode and value.get("isBase64Encoded") is True:
        try:
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            return None
    return body.encode("utf-8")


def reply_v2(result: bytes) -> Reply | None:
    """The response for a 2.0 result; None when it is malformed."""
    try:
        value = json.loads(result)
    except ValueError:
        return None
    if not isinstance(value, dict) or "statusCode" not in value:
        return Reply(200, (_JSON,), result)
    status = _status(value["statusCode"])
    headers = value.get("headers") or {}
    cookies = value.get("cookies") or []
    body = _body(value, decode=True)
    if (
        status is None
        or body is None
        or not isinstance(headers, dict)
        or not isinstance(cookies, list)
        or not all(isinstance(c, str) for c in cookies)
    ):
        return None
    fields = [(str(k), _text(v)) for k, v in headers.items() if str(k).lower() not in _DROPPED]
    fields.extend(("Set-Cookie", cookie) for cookie in cookies)
    return Reply(status, tuple(fields), body)


def reply_v1(
    result: bytes, kind: str, binary_types: tuple[str, ...], accept: str | None
) -> Reply | None:
    """The response for a 1.0 result; None when it is malformed."""
    try:
        value = json.loads(result)
    except ValueError:
        return None
    if not isinstance(value, dict) or (kind == REST_API and not value.keys() <= _REST_KEYS):
        return None
    status = _status(value.get("statusCode"))
    headers = value.get("headers") or {}
    multi = value.get("multiValueHeaders") or {}
    if status is None or not isinstance(headers, dict) or not isinstance(multi, dict):
        return None
    fields: list[tuple[str, str]] = []
    for name, values in multi.items():
        if not isinstance(values, list):
            return None
        fields.extend((str(name), _text(v)) for v in values)
    fields.extend((str(k), _text(v)) for k, v in headers.items() if k not in multi)
    fields = [(k, v) for k, v in fields if k.lower() not in _DROPPED]
    decode = True
    if kind == REST_API:
        content_type = next((v for k, v in fields if k.lower() == "content-type"), None)
        if content_type is None:  # a REST API answers JSON unless told otherwise
            fields.append(_JSON)
        first_accept = accept.split(",", 1)[0] if accept else None
        decode = matches_binary(first_accept, binary_types) or matches_binary(
            content_type, binary_types
        )
    body = _body(value, decode)
    if body is None:
        return None
    return Reply(status, tuple(fields), body)
