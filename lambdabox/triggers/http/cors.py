"""CORS as API Gateway and function URLs apply it.

HTTP APIs and function URLs answer every preflight themselves (204, whatever the routes) and
put their CORS headers on the function's responses in place of the function's own. A SAM REST
API with `Cors` has an OPTIONS method on each of its paths answering 200 with the configured
headers; its other responses carry only what the function sets.
"""

from __future__ import annotations

from collections.abc import Iterable

from lambdabox.triggers.http.model import REST_API, Cors
from lambdabox.triggers.http.responses import Reply


def is_preflight(method: str, origin: str | None, request_method: str | None) -> bool:
    return method == "OPTIONS" and origin is not None and request_method is not None


def _origin_allowed(cors: Cors, origin: str | None) -> str | None:
    """The Access-Control-Allow-Origin value for `origin`, or None when it is not allowed."""
    if origin is None:
        return None
    if origin in cors.allow_origins:
        return origin
    if "*" in cors.allow_origins:
        return origin if cors.allow_credentials else "*"
    return None


def preflight(cors: Cors, kind: str, origin: str | None, path_methods: Iterable[str]) -> Reply:
    """The answer to a preflight request."""
    if kind == REST_API:
        methods = cors.allow_methods or tuple(sorted({*path_methods, "OPTIONS"}))
        fields = [("Access-Control-Allow-Origin", cors.allow_origins[0])]
        fields.append(("Access-Control-Allow-Methods", ",".join(methods)))
        if cors.allow_headers:
            fields.append(("Access-Control-Allow-Headers", ",".join(cors.allow_headers)))
        if cors.max_age is not None:
            fields.append(("Access-Control-Max-Age", str(cors.max_age)))
        if cors.allow_credentials:
            fields.append(("Access-Control-Allow-Credentials", "true"))
        return Reply(200, (("Content-Type", "application/json"), *fields), b"")
    allowed = _origin_allowed(cors, origin)
    if allowed is None:
        return Reply(204, (), b"")
    fields = [("access-control-allow-origin", allowed)]
    if cors.allow_credentials:
        fields.append(("access-control-allow-credentials", "true"))
    if cors.allow_methods:
        fields.append(("access-control-allow-methods", ",".join(cors.allow_methods)))
    if cors.allow_headers:
        fields.append(("access-control-allow-headers", ",".join(cors.allow_headers)))
    if cors.max_age is not None:
        fields.append(("access-control-max-age", str(cors.max_age)))
    return Reply(204, tuple(fields), b"")


def response_fields(cors: Cors, origin: str | None) -> list[tuple[str, str]]:
    """The CORS headers an HTTP API / function URL adds to a response to `origin`."""
    allowed = _origin_allowed(cors, origin)
    if allowed is None:
        return []
    fields = [("access-control-allow-origin", allowed)]
    if cors.allow_credentials:
        fields.append(("access-control-allow-credentials", "true"))
    if cors.expose_headers:
        fields.append(("access-control-expose-headers", ",".join(cors.expose_headers)))
    return fields


def without_cors(fields: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The function's headers without its own Access-Control-* ones (the API's replace them)."""
    return [(k, v) for k, v in fields if not k.lower().startswith("access-control-")]
