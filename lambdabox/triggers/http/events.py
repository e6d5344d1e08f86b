"""Requests as the function receives them: payload format 2.0 and 1.0, as the service sends.

2.0 (HTTP API, function URLs): lower-cased headers, repeated ones joined with commas, the
Cookie header moved to `cookies`, `rawQueryString`, `queryStringParameters` with repeated keys
comma-joined, `requestContext.http`; bodies of text types as text, anything else base64.
1.0 (REST API, and HTTP API routes with PayloadFormatVersion 1.0, which add `version`):
headers as sent with `multiValueHeaders`, `multiValueQueryStringParameters`, `resource`,
`path`, `httpMethod`; a REST API sends base64 only for its `BinaryMediaTypes`.
"""

from __future__ import annotations

import base64
import functools
import os
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote

from lambdabox.emulator.ids import token_hex, uuid4
from lambdabox.triggers.http.matching import Match
from lambdabox.triggers.http.model import FUNCTION_URL, HTTP_API, REST_API, Api, service_id

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_TEXT_TYPES = ("application/json", "application/xml", "application/javascript")


@dataclass(frozen=True)
class Incoming:
    """One HTTP request as received by the front."""

    method: str
    raw_path: str
    raw_query: str
    fields: tuple[tuple[str, str], ...]  # header fields in order, names as sent
    body: bytes
    source_ip: str
    port: int  # the front's port (X-Forwarded-Port)
    received: float  # seconds since the epoch
    # Derived once when built (every event reads them; `functools.cached_property` takes a
    # lock on each first read, which costs more than computing both up front).
    lowered: tuple[tuple[str, str, str], ...] = field(init=False, repr=False, compare=False)
    """The fields as (lower-case name, name as sent, value)."""
    last_values: dict[str, str] = field(init=False, repr=False, compare=False)
    """Each field's last value, by lower-case name."""

    def __post_init__(self) -> None:
        lowered = tuple((key.lower(), key, value) for key, value in self.fields)
        object.__setattr__(self, "lowered", lowered)
        object.__setattr__(self, "last_values", {low: value for low, _, value in lowered})

    def header(self, name: str) -> str | None:
        """The last value of a header (case-insensitive)."""
        return self.last_values.get(name.lower())


@functools.lru_cache(maxsize=4)
def _clf_second(second: int) -> str:
    tm = time.gmtime(second)
    return (
        f"{tm.tm_mday:02d}/{_MONTHS[tm.tm_mon - 1]}/{tm.tm_year}:"
        f"{tm.tm_hour:02d}:{tm.tm_min:02d}:{tm.tm_sec:02d} +0000"
    )


def clf_time(when: float) -> str:
    """`12/Mar/2020:19:03:58 +0000` (the service's request time format)."""
    return _clf_second(int(when))


def gateway_request_id() -> str:
    """An API Gateway request id (`JKJaXmPLvHcESHA=`)."""
    return base64.b64encode(os.urandom(11)).decode("ascii")


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def is_text(content_type: str | None) -> bool:
    """Whether an HTTP API / function URL passes a body of this type as text."""
    kind = media_type(content_type)
    return kind.startswith("text/") or kind in _TEXT_TYPES


def matches_binary(content_type: str | None, patterns: tuple[str, ...]) -> bool:
    """Whether a media type is one of a REST API's binary media types (`image/*`, `*/*`)."""
    kind = media_type(content_type)
    if not kind:
        return False
    major, _, minor = kind.partition("/")
    for pattern in patterns:
        p_major, _, p_minor = pattern.lower().partition("/")
        if p_major in ("*", major) and p_minor in ("*", minor):
            return True
    return False


def _forwarded(inc: Incoming, lower: bool) -> list[tuple[str, str]]:
    """The request's fields with the X-Forwarded-* and X-Amzn-Trace-Id fields API Gateway adds
    (names lower-cased when `lower`, else as sent)."""
    lowered = inc.lowered
    if lower:
        fields = [(low, v) for low, _, v in lowered if low != "x-forwarded-for"]
    else:
        fields = [(k, v) for low, k, v in lowered if low != "x-forwarded-for"]
    client = inc.header("x-forwarded-for")
    names = ("x-forwarded-for", "x-forwarded-port", "x-forwarded-proto", "x-amzn-trace-id")
    if not lower:
        names = ("X-Forwarded-For", "X-Forwarded-Port", "X-Forwarded-Proto", "X-Amzn-Trace-Id")
    fields.append((names[0], f"{client}, {inc.source_ip}" if client else inc.source_ip))
    present = inc.last_values
    if "x-forwarded-port" not in present:
        fields.append((names[1], str(inc.port)))
    if "x-forwarded-proto" not in present:
        fields.append((names[2], "http"))
    if "x-amzn-trace-id" not in present:
        fields.append((names[3], f"Root=1-{int(inc.received):08x}-{token_hex(12)}"))
    return fields


def _body(inc: Incoming, binary: bool) -> tuple[str | None, bool]:
    if not inc.body:
        return None, False
    if binary:
        return base64.b64encode(inc.body).decode("ascii"), True
    return inc.body.decode("utf-8", errors="replace"), False


def _domain(inc: Incoming) -> tuple[str, str]:
    host = inc.header("host") or f"localhost:{inc.port}"
    return host, host.split(".", 1)[0].split(":", 1)[0]


def _path(inc: Incoming, api: Api) -> str:
    """The path as the function sees it: HTTP APIs decode it; REST APIs and function URLs
    pass it percent-encoded, as sent (observed on the service, not documented)."""
    return unquote(inc.raw_path) if api.kind == HTTP_API else inc.raw_path


def _parameters(match: Match, api: Api) -> dict[str, str]:
    params = match.path_parameters
    return {k: unquote(v) for k, v in params.items()} if api.kind == HTTP_API else dict(params)


def event_v2(inc: Incoming, api: Api, match: Match | None, account_id: str) -> dict[str, Any]:
    """The payload format 2.0 event (HTTP API route, or function URL when `match` is None)."""
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for key, value in _forwarded(inc, lower=True):
        if key == "cookie":
            cookies.extend(c.strip() for c in value.split(";") if c.strip())
            continue
        headers[key] = f"{headers[key]},{value}" if key in headers else value
    route_key = match.route.route_key if match else "$default"
    domain, prefix = _domain(inc)
    # An HTTP API stage other than $default is part of the path the service reports.
    path = _path(inc, api)
    raw_path = path if api.stage == "$default" else f"/{api.stage}{path}"
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": raw_path,
        "rawQueryString": inc.raw_query,
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = headers
    if inc.raw_query:
        query: dict[str, str] = {}
        for key, value in parse_qsl(inc.raw_query, keep_blank_values=True):
            query[key] = f"{query[key]},{value}" if key in query else value
        event["queryStringParameters"] = query
    event["requestContext"] = {
        "accountId": "anonymous" if api.kind == FUNCTION_URL else account_id,
        "apiId": api.api_id,
        "domainName": domain,
        "domainPrefix": prefix,
        "http": {
            "method": inc.method,
            "path": raw_path,
            "protocol": "HTTP/1.1",
            "sourceIp": inc.source_ip,
            "userAgent": inc.header("user-agent") or "",
        },
        "requestId": uuid4() if api.kind == FUNCTION_URL else gateway_request_id(),
        "routeKey": route_key,
        "stage": api.stage,
        "time": clf_time(inc.received),
        "timeEpoch": int(inc.received * 1000),
    }
    body, encoded = _body(inc, binary=not is_text(inc.header("content-type")))
    if body is not None:
        event["body"] = body
    if match and match.path_parameters:
        event["pathParameters"] = _parameters(match, api)
    event["isBase64Encoded"] = encoded
    if api.stage_variables:
        event["stageVariables"] = dict(api.stage_variables)
    return event


def event_v1(inc: Incoming, api: Api, match: Match, account_id: str) -> dict[str, Any]:
    """The payload format 1.0 event (REST API; HTTP API routes with PayloadFormatVersion 1.0)."""
    headers: dict[str, str] = {}
    multi_headers: dict[str, list[str]] = {}
    rest = api.kind == REST_API
    # HTTP APIs lower-case header names in both payload formats; REST keeps them as sent.
    for name, value in _forwarded(inc, lower=not rest):
        headers[name] = value
        multi_headers.setdefault(name, []).append(value)
    query: dict[str, str] | None = None
    multi_query: dict[str, list[str]] | None = None
    if inc.raw_query:
        query, multi_query = {}, {}
        for key, value in parse_qsl(inc.raw_query, keep_blank_values=True):
            query[key] = value
            multi_query.setdefault(key, []).append(value)
    route = match.route
    resource = route.path
    domain, prefix = _domain(inc)
    path = _path(inc, api)
    stage_path = path if api.stage == "$default" else f"/{api.stage}{path}"
    received_ms = int(inc.received * 1000)
    context: dict[str, Any] = {
        "accountId": account_id,
        "apiId": api.api_id,
        "domainName": domain,
        "domainPrefix": prefix,
        "extendedRequestId": gateway_request_id(),
        "httpMethod": inc.method,
        "identity": {
            "accessKey": None,
            "accountId": None,
            "caller": None,
            "cognitoAuthenticationProvider": None,
            "cognitoAuthenticationType": None,
            "cognitoIdentityId": None,
            "cognitoIdentityPoolId": None,
            "principalOrgId": None,
            "sourceIp": inc.source_ip,
            "user": None,
            "userAgent": inc.header("user-agent") or "",
            "userArn": None,
        },
        "path": stage_path,
        "protocol": "HTTP/1.1",
        "requestId": uuid4() if rest else gateway_request_id(),
        "requestTime": clf_time(inc.received),
        "requestTimeEpoch": received_ms,
        "resourceId": service_id(f"{api.api_id}{route.route_key}", 6) if rest else route.route_key,
        "resourcePath": resource,
        "stage": api.stage,
    }
    content_type = inc.header("content-type")
    if rest:
        binary = matches_binary(content_type, api.binary_media_types)
    else:
        binary = not is_text(content_type)
    body, encoded = _body(inc, binary)
    event: dict[str, Any] = {} if rest else {"version": "1.0"}
    event.update(
        {
            "resource": resource,
            "path": path,
            "httpMethod": inc.method,
            "headers": headers,
            "multiValueHeaders": multi_headers,
            "queryStringParameters": query,
            "multiValueQueryStringParameters": multi_query,
            "requestContext": context,
            "pathParameters": _parameters(match, api) or None,
            "stageVariables": dict(api.stage_variables) or None,
            "body": body,
            "isBase64Encoded": encoded,
        }
    )
    return event
