"""Routes from raw API Gateway resources.

`AWS::ApiGatewayV2::Api` (HTTP protocol; quick create with `Target`/`RouteKey`, or `Body`),
`AWS::ApiGatewayV2::Route` to an `AWS::ApiGatewayV2::Integration` of type AWS_PROXY, and
`AWS::ApiGateway::RestApi` (`Body`, `BinaryMediaTypes`) with its `AWS::ApiGateway::Resource`
tree and `AWS::ApiGateway::Method`s of integration type AWS_PROXY.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from lambdabox.template.model import Resource, Template
from lambdabox.triggers.http.apis import binary_media_types, http_api_cors
from lambdabox.triggers.http.authorizers.declare import ApiAuth
from lambdabox.triggers.http.authorizers.definitions import guard_definition_routes
from lambdabox.triggers.http.authorizers.model import Authorizer
from lambdabox.triggers.http.authorizers.raw_resources import V1, V2, raw_authorizer, raw_guard
from lambdabox.triggers.http.errors import DeclarationError
from lambdabox.triggers.http.model import DEFAULT_ROUTE, HTTP_API, REST_API, Api, Route, service_id
from lambdabox.triggers.http.openapi import definition_routes, load_definition, with_extensions
from lambdabox.triggers.http.refs import Functions, lookup, ref_name, root_first

if TYPE_CHECKING:
    from lambdabox.triggers.http.discover import Declarations


def discover(template: Template, functions: Functions, seed: str, found: Declarations) -> None:
    """Add the routes of the template's raw API Gateway resources to `found`."""
    _v2(template, functions, seed, found)
    _rest(template, functions, seed, found)


def _split_route_key(key: str, where: str) -> tuple[str, str]:
    if key == DEFAULT_ROUTE:
        return "ANY", DEFAULT_ROUTE
    method, _, path = key.partition(" ")
    if not path.startswith("/"):
        raise DeclarationError(where, f"RouteKey {key!r}", 'write "GET /path" or "$default"')
    return method.upper(), path


def _v2(template: Template, functions: Functions, seed: str, found: Declarations) -> None:
    apis: dict[str, Api] = {}
    for res in root_first(template.of_type("AWS::ApiGatewayV2::Api")):
        props = res.properties
        where = f"AWS::ApiGatewayV2::Api {res.path}"
        if str(props.get("ProtocolType", "HTTP")).upper() != "HTTP":
            found.notes.append(f"{where}: {props.get('ProtocolType')} APIs are not run locally")
            continue
        api = Api(
            HTTP_API,
            res.path,
            service_id(f"{seed}/{res.path}"),
            cors=http_api_cors(props.get("CorsConfiguration"), where),
            stack=res.stack,
        )
        doc = load_definition(props, template.folder, where)
        if doc is not None:
            api = with_extensions(api, doc, where)
            finder = functions.finder(res.stack)
            routes = definition_routes(api, doc, finder, where, found.notes)
            for route in guard_definition_routes(routes, doc, ApiAuth(), finder, found.notes):
                found.add(route)
        apis[res.path] = apis[api.api_id] = api
        target = props.get("Target")
        if target is not None:  # quick create: one route to one function, payload 2.0
            function = functions.find(target, res.stack)
            if function is None:
                found.notes.append(
                    f"{where}: Target {target!r} is not a function of this application"
                )
                continue
            method, path = _split_route_key(str(props.get("RouteKey") or DEFAULT_ROUTE), where)
            found.add(Route(api, method, path, function, "2.0", f"{where} Target"))
    guards = _authorizers(template, V2, "ApiId", apis, functions)
    integrations: dict[str, tuple[Api, str, str]] = {}
    for res in template.of_type("AWS::ApiGatewayV2::Integration"):
        props = res.properties
        owner = lookup(apis, props.get("ApiId"), res.stack)
        if owner is None or str(props.get("IntegrationType", "")).upper() != "AWS_PROXY":
            found.notes.append(f"AWS::ApiGatewayV2::Integration {res.path}: not run locally")
            continue
        function = functions.find(props.get("IntegrationUri"), res.stack)
        if function is None:
            continue
        integrations[res.path] = (owner, function, str(props.get("PayloadFormatVersion") or "2.0"))
    for res in root_first(template.of_type("AWS::ApiGatewayV2::Route")):
        where = f"AWS::ApiGatewayV2::Route {res.path}"
        target = ref_name(res.properties.get("Target"))
        name = target.split("/", 1)[1] if target and target.startswith("integrations/") else target
        integration = lookup(integrations, name, res.stack)
        if integration is None:
            found.notes.append(f"{where}: Target {target!r} is no Lambda proxy integration")
            continue
        api, function, payload = integration
        method, path = _split_route_key(str(res.properties.get("RouteKey", "")), where)
        key = DEFAULT_ROUTE if path == DEFAULT_ROUTE else f"{method} {path}"
        guard = raw_guard(res.properties, guards, _in(res), key, where, found.notes)
        found.add(Route(api, method, path, function, payload, where, authorizer=guard))


def _rest(template: Template, functions: Functions, seed: str, found: Declarations) -> None:
    stages: dict[str, str] = {}
    for res in template.of_type("AWS::ApiGateway::Stage", "AWS::ApiGateway::Deployment"):
        api_name = ref_name(res.properties.get("RestApiId"))
        stage = res.properties.get("StageName")
        if api_name and isinstance(stage, str):
            stages.setdefault(api_name, stage)
    apis: dict[str, Api] = {}
    for res in root_first(template.of_type("AWS::ApiGateway::RestApi")):
        props = res.properties
        where = f"AWS::ApiGateway::RestApi {res.path}"
        api = Api(
            REST_API,
            res.path,
            service_id(f"{seed}/{res.path}"),
            stage=stages.get(res.logical_id, "Prod"),
            binary_media_types=binary_media_types(props.get("BinaryMediaTypes"), where),
            stack=res.stack,
        )
        doc = load_definition(props, template.folder, where)
        if doc is not None:
            api = with_extensions(api, doc, where)
            finder = functions.finder(res.stack)
            routes = definition_routes(api, doc, finder, where, found.notes)
            for route in guard_definition_routes(routes, doc, ApiAuth(), finder, found.notes):
                found.add(route)
        apis[res.path] = apis[api.api_id] = api
    guards = _authorizers(template, V1, "RestApiId", apis, functions)
    resources = {r.path: r for r in template.of_type("AWS::ApiGateway::Resource")}
    for res in root_first(template.of_type("AWS::ApiGateway::Method")):
        props = res.properties
        where = f"AWS::ApiGateway::Method {res.path}"
        rest_api = lookup(apis, props.get("RestApiId"), res.stack)
        integration = props.get("Integration")
        if rest_api is None or not isinstance(integration, Mapping):
            found.notes.append(f"{where}: no RestApiId of this template or no Integration")
            continue
        if str(integration.get("Type", "")).upper() != "AWS_PROXY":
            found.notes.append(
                f"{where}: integration type {integration.get('Type')!r} not run locally"
            )
            continue
        function = functions.find(integration.get("Uri"), res.stack)
        if function is None:
            continue
        path = _resource_path(props.get("ResourceId"), resources, apis, res, where)
        method = str(props.get("HttpMethod", "")).upper()
        guard = raw_guard(props, guards, _in(res), f"{method} {path}", where, found.notes)
        found.add(Route(rest_api, method, path, function, "1.0", where, authorizer=guard))


def _authorizers(
    template: Template, kind: str, api_prop: str, apis: Mapping[str, Api], functions: Functions
) -> dict[str, Authorizer | str]:
    """The raw authorizers (`kind`) of the APIs served, by resource path."""
    found: dict[str, Authorizer | str] = {}
    for res in template.of_type(kind):
        api = lookup(apis, res.properties.get(api_prop), res.stack)
        if api is not None:
            found[res.path] = raw_authorizer(res, api, functions.finder(res.stack))
    return found


def _in(
    at: Resource,
) -> Callable[[Mapping[str, Authorizer | str], Any], Authorizer | str | None]:
    return lambda names, value: lookup(names, value, at.stack)


def _resource_path(
    ref: Any, resources: Mapping[str, Resource], apis: Mapping[str, Api], at: Resource, where: str
) -> str:
    parts: list[str] = []
    for _ in range(64):
        node = lookup(resources, ref, at.stack)
        if node is None:
            if lookup(apis, ref, at.stack) is not None:  # the API's root resource
                return "/" + "/".join(reversed(parts))
            raise DeclarationError(
                where, f"ResourceId {ref!r} is unknown", "!Ref an ApiGateway Resource"
            )
        parts.append(str(node.properties.get("PathPart", "")))
        ref = node.properties.get("ParentId")
    raise DeclarationError(where, "the resource tree has a cycle", "fix ParentId")
