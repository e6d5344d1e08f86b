"""Authorizers of routes read from an API's OpenAPI/Swagger definition.

An operation's `security` (else the document's) names security schemes: a name under the
SAM API's `Auth.Authorizers` is that authorizer; a scheme with
`x-amazon-apigateway-authorizer` of type `token` or `request` (REST) or `request` (HTTP
API) is a Lambda authorizer read from the extension (`authorizerUri`, `identitySource`,
`authorizerResultTtlInSeconds`, `identityValidationExpression`,
`authorizerPayloadFormatVersion`, `enableSimpleResponses`); `jwt` and
`cognito_user_pools` ones cannot be checked locally and are named in a warning. An
operation without `security` gets the API's `DefaultAuthorizer`, as SAM adds it to every
operation of the definition; `security: []` leaves it open.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

from lambdabox.triggers.http.authorizers.declare import ApiAuth, route_authorizer
from lambdabox.triggers.http.authorizers.model import (
    DEFAULT_TTL_S,
    REQUEST,
    TOKEN,
    Authorizer,
    IdentitySource,
)
from lambdabox.triggers.http.model import HTTP_API, Api, Route

_EXTENSION = "x-amazon-apigateway-authorizer"
# Identity source prefixes: REST (`method.request.header.X`) and HTTP API (`$request.header.X`).
_PREFIXES = (
    ("method.request.header.", "header"),
    ("method.request.querystring.", "query"),
    ("$request.header.", "header"),
    ("$request.querystring.", "query"),
    ("stageVariables.", "stage"),
    ("$stageVariables.", "stage"),
    ("context.", "context"),
    ("$context.", "context"),
)


def _schemes(doc: Mapping[str, Any]) -> Mapping[str, Any]:
    components = doc.get("components")
    found = components.get("securitySchemes") if isinstance(components, Mapping) else None
    found = found or doc.get("securityDefinitions") or {}
    return found if isinstance(found, Mapping) else {}


def _sources(value: Any) -> tuple[IdentitySource, ...]:
    parts = value if isinstance(value, list) else str(value or "").split(",")
    sources = []
    for part in (str(p).strip() for p in parts):
        for prefix, kind in _PREFIXES:
            if part.startswith(prefix):
                sources.append(IdentitySource(kind, part[len(prefix) :]))
                break
    return tuple(sources)


def scheme_authorizer(
    name: str, scheme: Any, api: Api, find: Callable[[Any], str | None]
) -> Authorizer | str | None:
    """The Lambda authorizer a security scheme declares; for JWT/Cognito ones a word
    naming the kind (not enforced); None when it declares none."""
    ext = scheme.get(_EXTENSION) if isinstance(scheme, Mapping) else None
    if not isinstance(ext, Mapping):
        return None
    kind = str(ext.get("type", "")).lower()
    if kind in ("jwt", "cognito_user_pools"):
        return "JWT" if kind == "jwt" else "Cognito"
    if kind not in ("token", "request"):
        return None
    uri = ext.get("authorizerUri")
    ttl = ext.get("authorizerResultTtlInSeconds", DEFAULT_TTL_S)
    ttl_s = int(ttl) if str(ttl).isdigit() else DEFAULT_TTL_S
    shown = uri if isinstance(uri, str) else str(uri)
    if api.kind == HTTP_API:
        version = str(ext.get("authorizerPayloadFormatVersion") or "2.0")
        return Authorizer(
            name, api.name, api.kind, find(uri), shown, REQUEST, version,
            bool(ext.get("enableSimpleResponses", False)), _sources(ext.get("identitySource")),
            ttl_s,
        )  # fmt: skip
    if kind == "token":
        header = str(scheme.get("name") or "Authorization")
        sources = _sources(ext.get("identitySource")) or (IdentitySource("header", header),)
        validation = ext.get("identityValidationExpression")
        return Authorizer(
            name, api.name, api.kind, find(uri), shown, TOKEN, "1.0", False, sources[:1],
            ttl_s, validation if isinstance(validation, str) else None,
        )  # fmt: skip
    return Authorizer(
        name, api.name, api.kind, find(uri), shown, REQUEST, "1.0", False,
        _sources(ext.get("identitySource")), ttl_s,
    )  # fmt: skip


def _operation(doc: Mapping[str, Any], route: Route) -> Mapping[str, Any]:
    item = (doc.get("paths") or {}).get(route.path)
    if not isinstance(item, Mapping):
        return {}
    for key, operation in item.items():
        wanted = "ANY" if key == "x-amazon-apigateway-any-method" else str(key).upper()
        if wanted == route.method and isinstance(operation, Mapping):
            return operation
    return {}


def guard_definition_routes(
    routes: list[Route],
    doc: Mapping[str, Any],
    auth: ApiAuth,
    find: Callable[[Any], str | None],
    notes: list[str],
) -> list[Route]:
    """`routes` (from the definition) with the authorizer each operation asks for."""
    guarded: list[Route] = []
    schemes = _schemes(doc)
    for route in routes:
        security = _operation(doc, route).get("security", doc.get("security"))
        names = [n for entry in security or [] if isinstance(entry, Mapping) for n in entry]
        guard: Authorizer | None = None
        if security is None:  # SAM's DefaultAuthorizer covers the definition's operations
            guard = route_authorizer(auth, None, route.route_key, route.source, notes)
        for name in names:
            if name in auth.authorizers or name in auth.unenforced:
                picked = {"Authorizer": name}
                guard = route_authorizer(auth, picked, route.route_key, route.source, notes)
                break
            found = scheme_authorizer(name, schemes.get(name), route.api, find)
            if isinstance(found, Authorizer):
                guard = found
                break
            if isinstance(found, str):
                notes.append(
                    f"WARNING: {route.route_key} ({route.source}) uses the {found} authorizer "
                    f"{name}, which is NOT enforced locally: requests reach the function "
                    "unauthenticated"
                )
                break
        guarded.append(dataclasses.replace(route, authorizer=guard))
    return guarded
