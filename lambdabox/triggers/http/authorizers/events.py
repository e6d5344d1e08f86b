"""The events a Lambda authorizer receives, as API Gateway sends them.

HTTP APIs: payload 2.0 (`type` REQUEST, `routeArn`, `identitySource` as a list, then the
request as in the 2.0 integration event without its body) or 1.0 (`methodArn`,
`identitySource` and `authorizationToken` as one comma-joined string, then the 1.0 request
fields). REST APIs: TOKEN (`type`, `authorizationToken`, `methodArn`) or REQUEST (`methodArn`
and the 1.0 request fields without the body).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl

from lambdabox.triggers.http.authorizers.model import TOKEN, Authorizer, IdentitySource
from lambdabox.triggers.http.events import Incoming, event_v1, event_v2
from lambdabox.triggers.http.matching import Match
from lambdabox.triggers.http.model import HTTP_API, Api

_V1_FIELDS = (
    "resource",
    "path",
    "httpMethod",
    "headers",
    "multiValueHeaders",
    "queryStringParameters",
    "multiValueQueryStringParameters",
)
_V2_FIELDS = (
    "routeKey",
    "rawPath",
    "rawQueryString",
    "cookies",
    "headers",
    "queryStringParameters",
    "requestContext",
    "pathParameters",
    "stageVariables",
)


_CONTEXT_ALIASES: dict[str, Callable[[Incoming], str | None]] = {
    "identity.sourceIp": lambda inc: inc.source_ip,
    "identity.userAgent": lambda inc: inc.header("user-agent"),
    "httpMethod": lambda inc: inc.method,
}


def method_arn(api: Api, method: str, path: str, region: str, account_id: str) -> str:
    """`arn:aws:execute-api:REGION:ACCOUNT:API_ID/STAGE/METHOD/PATH` of a request (the path
    as requested, without the stage)."""
    return f"arn:aws:execute-api:{region}:{account_id}:{api.api_id}/{api.stage}/{method}{path}"


def _context_value(context: Mapping[str, Any], dotted: str) -> str | None:
    value: Any = context
    for part in dotted.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return None if value is None or isinstance(value, (dict, list)) else str(value)


def identity_values(
    sources: tuple[IdentitySource, ...], inc: Incoming, api: Api, context: Mapping[str, Any]
) -> list[str | None]:
    """Each identity source's value in the request (None or "" when missing)."""
    values: list[str | None] = []
    for source in sources:
        if source.kind == "header":
            found = [v for k, v in inc.fields if k.lower() == source.name.lower()]
            values.append(",".join(found) if found else None)
        elif source.kind == "query":
            pairs = parse_qsl(inc.raw_query, keep_blank_values=True)
            query = [v for k, v in pairs if k == source.name]
            values.append(",".join(query) if query else None)
        elif source.kind == "stage":
            values.append(api.stage_variables.get(source.name))
        elif source.name in _CONTEXT_ALIASES:  # $context.identity.sourceIp on an HTTP API
            values.append(_CONTEXT_ALIASES[source.name](inc))
        else:
            values.append(_context_value(context, source.name))
    return values


def authorizer_event(
    authorizer: Authorizer,
    inc: Incoming,
    api: Api,
    match: Match,
    arn: str,
    identity: list[str],
    account_id: str,
    request_id: str,
) -> dict[str, Any]:
    """The event `authorizer`'s function receives for this request."""
    if api.kind == HTTP_API and authorizer.payload_version == "2.0":
        request = event_v2(inc, api, match, account_id)
        request["requestContext"]["requestId"] = request_id
        event: dict[str, Any] = {
            "version": "2.0",
            "type": "REQUEST",
            "routeArn": arn,
            "identitySource": identity,
        }
        event.update({k: request[k] for k in _V2_FIELDS if k in request})
        return event
    if authorizer.payload_type == TOKEN:
        return {"type": "TOKEN", "authorizationToken": identity[0], "methodArn": arn}
    request = event_v1(inc, api, match, account_id)
    request["requestContext"]["requestId"] = request_id
    event = {"version": "1.0"} if api.kind == HTTP_API else {}
    event["type"] = "REQUEST"
    event["methodArn"] = arn
    if api.kind == HTTP_API:
        event["identitySource"] = event["authorizationToken"] = ",".join(identity)
    event.update({k: request[k] for k in _V1_FIELDS})
    event["pathParameters"] = request["pathParameters"]
    event["stageVariables"] = request["stageVariables"]
    event["requestContext"] = request["requestContext"]
    return event
