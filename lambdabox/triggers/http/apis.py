"""APIs from `AWS::Serverless::HttpApi` / `AWS::Serverless::Api` (and the implicit ones)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lambdabox.template.model import Resource
from lambdabox.triggers.http.errors import DeclarationError
from lambdabox.triggers.http.model import HTTP_API, REST_API, Api, Cors, service_id

IMPLICIT_HTTP_API = "ServerlessHttpApi"
IMPLICIT_REST_API = "ServerlessRestApi"
IMPLICIT_REST_STAGE = "Prod"  # SAM's stage for the implicit REST API


def _strings(value: Any, where: str, prop: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    if isinstance(value, list) and all(isinstance(v, (str, int)) for v in value):
        return tuple(str(v) for v in value)
    raise DeclarationError(where, f"{prop} is {value!r}", "give a list of strings")


def _unquote(value: Any) -> Any:
    """SAM's REST `Cors` values are quoted for a mapping template: "'GET,POST'"."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == "'":
        return value[1:-1]
    return value


def _max_age(value: Any, where: str) -> int | None:
    if value is None:
        return None
    try:
        return int(_unquote(value))
    except (TypeError, ValueError):
        raise DeclarationError(where, f"MaxAge is {value!r}", "give a number of seconds") from None


def http_api_cors(value: Any, where: str) -> Cors | None:
    """`CorsConfiguration` of an HTTP API (or `Cors` of a function URL): true or an object."""
    if value is None or value is False:
        return None
    if value is True:
        return Cors(allow_origins=("*",), allow_methods=("*",), allow_headers=("*",))
    if not isinstance(value, Mapping):
        raise DeclarationError(where, f"CorsConfiguration is {value!r}", "give true or an object")
    return Cors(
        allow_origins=_strings(value.get("AllowOrigins"), where, "AllowOrigins"),
        allow_methods=tuple(
            m.upper() for m in _strings(value.get("AllowMethods"), where, "AllowMethods")
        ),
        allow_headers=_strings(value.get("AllowHeaders"), where, "AllowHeaders"),
        expose_headers=_strings(value.get("ExposeHeaders"), where, "ExposeHeaders"),
        max_age=_max_age(value.get("MaxAge"), where),
        allow_credentials=bool(value.get("AllowCredentials", False)),
    )


def rest_api_cors(value: Any, where: str) -> Cors | None:
    """`Cors` of a SAM REST API: an origin string ("'*'") or an object of quoted strings."""
    if value is None or value is False:
        return None
    if isinstance(value, str):
        return Cors(allow_origins=(_unquote(value),))
    if not isinstance(value, Mapping):
        raise DeclarationError(where, f"Cors is {value!r}", "give an origin string or an object")
    origin = _unquote(value.get("AllowOrigin"))
    if not isinstance(origin, str):
        raise DeclarationError(where, "Cors has no AllowOrigin", "add AllowOrigin: \"'*'\"")
    return Cors(
        allow_origins=(origin,),
        allow_methods=tuple(
            m.upper() for m in _strings(_unquote(value.get("AllowMethods")), where, "AllowMethods")
        ),
        allow_headers=_strings(_unquote(value.get("AllowHeaders")), where, "AllowHeaders"),
        max_age=_max_age(value.get("MaxAge"), where),
        allow_credentials=bool(value.get("AllowCredentials", False)),
    )


def binary_media_types(value: Any, where: str) -> tuple[str, ...]:
    """`BinaryMediaTypes`, with CloudFormation's `~1` escape for `/` undone."""
    return tuple(t.replace("~1", "/") for t in _strings(value, where, "BinaryMediaTypes"))


def _variables(value: Any, where: str, prop: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise DeclarationError(where, f"{prop} is {value!r}", "give a map of names to strings")
    return {str(k): str(v) for k, v in value.items()}


def api_from_resource(resource: Resource, seed: str) -> Api:
    """The API an `AWS::Serverless::HttpApi` or `AWS::Serverless::Api` declares."""
    props = resource.properties
    where = f"{resource.type} {resource.path}"
    if resource.type == "AWS::Serverless::HttpApi":
        return Api(
            kind=HTTP_API,
            name=resource.path,
            api_id=service_id(f"{seed}/{resource.path}"),
            stage=str(props.get("StageName") or "$default"),
            stage_variables=_variables(props.get("StageVariables"), where, "StageVariables"),
            cors=http_api_cors(props.get("CorsConfiguration"), where),
            stack=resource.stack,
        )
    return Api(
        kind=REST_API,
        name=resource.path,
        api_id=service_id(f"{seed}/{resource.path}"),
        stage=str(props.get("StageName") or IMPLICIT_REST_STAGE),
        stage_variables=_variables(props.get("Variables"), where, "Variables"),
        binary_media_types=binary_media_types(props.get("BinaryMediaTypes"), where),
        cors=rest_api_cors(props.get("Cors"), where),
        stack=resource.stack,
    )


def implicit_api(kind: str, stack: tuple[str, ...], seed: str) -> Api:
    """The API SAM creates for events that name none (`ServerlessHttpApi`/`ServerlessRestApi`)."""
    logical = IMPLICIT_HTTP_API if kind == HTTP_API else IMPLICIT_REST_API
    name = ".".join([*stack, logical])
    return Api(
        kind=kind,
        name=name,
        api_id=service_id(f"{seed}/{name}"),
        stage="$default" if kind == HTTP_API else IMPLICIT_REST_STAGE,
        stack=stack,
    )
