"""The service's answers to a request its authorizer refuses, per API kind.

HTTP APIs: 401 `{"message":"Unauthorized"}` (an identity source missing), 403
`{"message":"Forbidden"}` (denied), 500 `{"message":"Internal Server Error"}` (the
authorizer failed or answered something malformed). REST APIs: 401 `{"message":"Unauthorized"}`
(no token, the ValidationExpression does not match, or the authorizer raised
"Unauthorized"), 403 with the explicit-deny or not-allowed `Message`, 500 `{"message": null}`
(AuthorizerConfigurationException), each with its `x-amzn-ErrorType`.
"""

from __future__ import annotations

from lambdabox.triggers.http.model import HTTP_API, REST_API
from lambdabox.triggers.http.responses import Reply

UNAUTHORIZED = "unauthorized"
EXPLICIT_DENY = "explicit_deny"
NOT_ALLOWED = "not_allowed"
FAILED = "failed"

_JSON = ("Content-Type", "application/json")

_ANSWERS: dict[str, dict[str, tuple[int, bytes, str | None]]] = {
    HTTP_API: {
        UNAUTHORIZED: (401, b'{"message":"Unauthorized"}', None),
        EXPLICIT_DENY: (403, b'{"message":"Forbidden"}', None),
        NOT_ALLOWED: (403, b'{"message":"Forbidden"}', None),
        FAILED: (500, b'{"message":"Internal Server Error"}', None),
    },
    REST_API: {
        UNAUTHORIZED: (401, b'{"message":"Unauthorized"}', "UnauthorizedException"),
        EXPLICIT_DENY: (
            403,
            b'{"Message":"User is not authorized to access this resource with an explicit deny"}',
            "AccessDeniedException",
        ),
        NOT_ALLOWED: (
            403,
            b'{"Message":"User is not authorized to access this resource"}',
            "AccessDeniedException",
        ),
        FAILED: (500, b'{"message": null}', "AuthorizerConfigurationException"),
    },
}


def refusal(kind: str, situation: str) -> Reply:
    """The answer of an API of `kind` (HTTP_API or REST_API) in `situation`."""
    status, body, error_type = _ANSWERS[kind][situation]
    headers: tuple[tuple[str, str], ...] = (_JSON,)
    if error_type:
        headers += (("x-amzn-ErrorType", error_type),)
    return Reply(status, headers, body)
