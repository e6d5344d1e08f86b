"""Authorizers declared as raw resources, as the CDK writes them.

`AWS::ApiGateway::Authorizer` (`Type` TOKEN/REQUEST/COGNITO_USER_POOLS, `AuthorizerUri`,
`IdentitySource` as `method.request.header.X,...`, `IdentityValidationExpression`,
`AuthorizerResultTtlInSeconds`) guards the `AWS::ApiGateway::Method`s whose
`AuthorizationType` is CUSTOM and `AuthorizerId` names it; `AWS::ApiGatewayV2::Authorizer`
(`AuthorizerType` REQUEST/JWT, `IdentitySource` as `$request.header.X`,
`AuthorizerPayloadFormatVersion`, `EnableSimpleResponses`) the `AWS::ApiGatewayV2::Route`s
the same way. JWT, Cognito and AWS_IAM authorization are warned about, not enforced.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from lambdabox.template.model import Resource
from lambdabox.triggers.http.authorizers.definitions import scheme_authorizer
from lambdabox.triggers.http.authorizers.model import Authorizer
from lambdabox.triggers.http.errors import DeclarationError
from lambdabox.triggers.http.model import Api

V1 = "AWS::ApiGateway::Authorizer"
V2 = "AWS::ApiGatewayV2::Authorizer"


def raw_authorizer(res: Resource, api: Api, find: Callable[[Any], str | None]) -> Authorizer | str:
    """The Lambda authorizer a raw resource declares, or the kind it is when it cannot be
    checked locally ("JWT", "Cognito")."""
    p = res.properties
    if res.type == V1:
        ext = {
            "type": str(p.get("Type", "")).lower(),
            "identityValidationExpression": p.get("IdentityValidationExpression"),
        }
    else:
        ext = {
            "type": str(p.get("AuthorizerType", "")).lower(),
            "authorizerPayloadFormatVersion": p.get("AuthorizerPayloadFormatVersion"),
            "enableSimpleResponses": p.get("EnableSimpleResponses", False),
        }
    ext["authorizerUri"] = p.get("AuthorizerUri")
    ext["identitySource"] = p.get("IdentitySource")
    ext["authorizerResultTtlInSeconds"] = p.get("AuthorizerResultTtlInSeconds", 300)
    found = scheme_authorizer(res.logical_id, {"x-amazon-apigateway-authorizer": ext}, api, find)
    if found is None:
        raise DeclarationError(
            f"{res.type} {res.path}",
            f"authorizer type {ext['type']!r}",
            "use TOKEN or REQUEST (REST), REQUEST or JWT (HTTP APIs)",
        )
    return found


def raw_guard(
    props: Mapping[str, Any],
    authorizers: Mapping[str, Authorizer | str],
    lookup: Callable[[Mapping[str, Authorizer | str], Any], Authorizer | str | None],
    route_key: str,
    where: str,
    notes: list[str],
) -> Authorizer | None:
    """The authorizer of a raw method or route (`AuthorizationType`, `AuthorizerId`)."""
    kind = str(props.get("AuthorizationType") or "NONE").upper()
    if kind == "NONE":
        return None
    found: Authorizer | str | None = kind
    if kind == "CUSTOM":
        found = lookup(authorizers, props.get("AuthorizerId"))
        if found is None:
            raise DeclarationError(
                where,
                f"AuthorizerId {props.get('AuthorizerId')!r} names no authorizer of its API",
                "!Ref an AWS::ApiGateway::Authorizer (or ApiGatewayV2) of the same API",
            )
    if isinstance(found, Authorizer):
        return found
    shown = {"COGNITO_USER_POOLS": "Cognito", "AWS_IAM": "IAM"}.get(str(found), str(found))
    notes.append(
        f"WARNING: {route_key} ({where}) uses {shown} authorization, which is NOT enforced "
        "locally: requests reach the function unauthenticated"
    )
    return None
