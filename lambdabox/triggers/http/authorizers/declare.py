"""Reading SAM's `Auth` blocks: the authorizers of an `HttpApi`/`Api` and each route's choice.

An API's `Auth.Authorizers` maps names to Lambda authorizers (`FunctionArn`), JWT authorizers
(`JwtConfiguration`, HTTP APIs) or Cognito authorizers (`UserPoolArn`, REST APIs);
`DefaultAuthorizer` applies to every route whose event names none, and an event's
`Auth.Authorizer` picks one by name or `NONE`. Only Lambda authorizers run locally: a route
using JWT, Cognito or `AWS_IAM` authorization is named in a warning (not enforced).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from lambdabox.triggers.http.authorizers.model import (
    DEFAULT_TTL_S,
    REQUEST,
    TOKEN,
    Authorizer,
    IdentitySource,
)
from lambdabox.triggers.http.errors import DeclarationError
from lambdabox.triggers.http.model import HTTP_API, Api

NONE = "NONE"
AWS_IAM = "AWS_IAM"
_LISTS = (("Headers", "header"), ("QueryStrings", "query"), ("StageVariables", "stage"))


@dataclass(frozen=True)
class ApiAuth:
    """The authorization an API declares: Lambda authorizers by name, the default, and the
    authorizers that cannot be checked locally (name -> kind: JWT, Cognito, AWS_IAM)."""

    authorizers: Mapping[str, Authorizer] = field(default_factory=dict)
    default: str | None = None
    unenforced: Mapping[str, str] = field(default_factory=dict)


def _identity(value: Any, where: str) -> tuple[tuple[IdentitySource, ...], int]:
    if value is None:
        return (), DEFAULT_TTL_S
    if not isinstance(value, Mapping):
        raise DeclarationError(where, f"Identity is {value!r}", "give Headers, QueryStrings, ...")
    sources: list[IdentitySource] = []
    for prop, kind in (*_LISTS, ("Context", "context")):
        names = value.get(prop) or []
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise DeclarationError(where, f"Identity.{prop} is {names!r}", "give a list of names")
        sources.extend(IdentitySource(kind, n) for n in names)
    return tuple(sources), _ttl(value.get("ReauthorizeEvery"), where)


def _ttl(value: Any, where: str) -> int:
    if value is None:
        return DEFAULT_TTL_S
    if isinstance(value, bool) or not str(value).isdigit() or int(value) > 3600:
        raise DeclarationError(where, f"ReauthorizeEvery is {value!r}", "give 0 to 3600 seconds")
    return int(value)


def _lambda(
    name: str, props: Mapping[str, Any], api: Api, find: Callable[[Any], str | None], where: str
) -> Authorizer:
    ref = props["FunctionArn"]
    function = find(ref)
    shown = ref if isinstance(ref, str) else str(ref)
    if api.kind == HTTP_API:
        version = str(props.get("AuthorizerPayloadFormatVersion") or "")
        if version not in ("1.0", "2.0"):
            raise DeclarationError(
                where,
                f"AuthorizerPayloadFormatVersion is {version or 'missing'}",
                'give "1.0" or "2.0" (the service requires it)',
            )
        simple = bool(props.get("EnableSimpleResponses", False))
        if simple and version != "2.0":
            raise DeclarationError(
                where, "EnableSimpleResponses needs payload format 2.0", 'use "2.0"'
            )
        identity, ttl = _identity(props.get("Identity"), where)
        return Authorizer(
            name, api.name, api.kind, function, shown, REQUEST, version, simple, identity, ttl
        )
    kind = str(props.get("FunctionPayloadType") or TOKEN).upper()
    if kind not in (TOKEN, REQUEST):
        raise DeclarationError(where, f"FunctionPayloadType {kind!r}", "use TOKEN or REQUEST")
    raw = props.get("Identity") or {}
    if not isinstance(raw, Mapping):
        raise DeclarationError(where, f"Identity is {raw!r}", "give an object")
    if kind == TOKEN:
        header = raw.get("Header") or "Authorization"
        validation = raw.get("ValidationExpression")
        if validation is not None and not isinstance(validation, str):
            raise DeclarationError(where, "ValidationExpression is not a string", "give a regex")
        if validation is not None:
            try:
                re.compile(validation)
            except re.error as exc:
                raise DeclarationError(
                    where, f"ValidationExpression {validation!r}: {exc}", "fix the expression"
                ) from None
        return Authorizer(
            name,
            api.name,
            api.kind,
            function,
            shown,
            TOKEN,
            "1.0",
            False,
            (IdentitySource("header", str(header)),),
            _ttl(raw.get("ReauthorizeEvery"), where),
            validation,
        )
    identity, ttl = _identity(raw, where)
    if not identity and ttl > 0:
        raise DeclarationError(
            where,
            "a REQUEST authorizer with caching has no identity source",
            "list Identity Headers/QueryStrings/StageVariables/Context, or set ReauthorizeEvery: 0",
        )
    return Authorizer(
        name, api.name, api.kind, function, shown, REQUEST, "1.0", False, identity, ttl
    )


def api_auth(
    auth: Any, api: Api, find: Callable[[Any], str | None], where: str, notes: list[str]
) -> ApiAuth:
    """The `Auth` property of an `HttpApi`/`Api`; `find` resolves a FunctionArn to a
    function of the application (None when it is not run here: noted)."""
    if auth is None:
        return ApiAuth()
    if not isinstance(auth, Mapping):
        raise DeclarationError(where, f"Auth is {auth!r}", "give Authorizers and DefaultAuthorizer")
    declared = auth.get("Authorizers") or {}
    if not isinstance(declared, Mapping):
        raise DeclarationError(where, "Auth.Authorizers is not a map", "name each authorizer")
    lambdas: dict[str, Authorizer] = {}
    unenforced: dict[str, str] = {}
    for name, props in declared.items():
        at = f"{where}.Auth.Authorizers.{name}"
        if not isinstance(props, Mapping):
            raise DeclarationError(at, "is not an object", "give FunctionArn (or JWT/Cognito)")
        if "FunctionArn" in props:
            lambdas[name] = _lambda(name, props, api, find, at)
            if lambdas[name].function is None:
                notes.append(
                    f"{at}: FunctionArn {lambdas[name].function_ref} is not a function run "
                    "here; its routes answer 500 (run the authorizer's function too)"
                )
        elif "JwtConfiguration" in props:
            unenforced[name] = "JWT"
        elif "UserPoolArn" in props:
            unenforced[name] = "Cognito"
        else:
            raise DeclarationError(at, "has no FunctionArn", "give FunctionArn: !GetAtt Fn.Arn")
    if auth.get("EnableIamAuthorizer") or api.kind != HTTP_API:
        unenforced[AWS_IAM] = "IAM"
    default = auth.get("DefaultAuthorizer")
    if default is not None and not isinstance(default, str):
        raise DeclarationError(where, f"DefaultAuthorizer is {default!r}", "give a name")
    if default is not None and default not in lambdas and default not in unenforced:
        raise DeclarationError(
            where,
            f"DefaultAuthorizer {default!r} is not under Auth.Authorizers",
            "name one of " + (", ".join(sorted([*lambdas, *unenforced])) or "them (none given)"),
        )
    return ApiAuth(lambdas, default, unenforced)


def route_authorizer(
    auth: ApiAuth | None, event_auth: Any, route: str, where: str, notes: list[str]
) -> Authorizer | None:
    """The Lambda authorizer guarding `route` (None: none runs). A JWT, Cognito or IAM
    authorizer is noted as not enforced."""
    if event_auth is not None and not isinstance(event_auth, Mapping):
        raise DeclarationError(where, f"Auth is {event_auth!r}", "give Authorizer: NAME or NONE")
    chosen = (event_auth or {}).get("Authorizer")
    if chosen is None:
        chosen = auth.default if auth is not None else None
    if chosen is None or chosen == NONE:
        return None
    if auth is not None and chosen in auth.authorizers:
        return auth.authorizers[chosen]
    if auth is not None and chosen in auth.unenforced:
        notes.append(
            f"WARNING: {route} ({where}) uses the {auth.unenforced[chosen]} authorizer "
            f"{chosen}, which is NOT enforced locally: requests reach the function "
            "unauthenticated"
        )
        return None
    known = sorted([*(auth.authorizers if auth else {}), *(auth.unenforced if auth else {})])
    raise DeclarationError(
        where,
        f"Auth.Authorizer {chosen!r} is not an authorizer of the event's API",
        "declare it under Auth.Authorizers of the API the event names (ApiId/RestApiId)"
        + (f"; known: {', '.join(known)}" if known else ""),
    )
