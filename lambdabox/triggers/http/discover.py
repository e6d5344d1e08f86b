"""Reading the template: every route and function URL the HTTP front serves.

SAM functions' `HttpApi` and `Api` events (on a named API or the implicit one),
`FunctionUrlConfig`, `AWS::Lambda::Url`, the APIs' own definitions, and the raw API Gateway
resources (`raw.py`). The root stack is read first: it wins a route another stack repeats.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lambdabox.template.model import Resource, Template
from lambdabox.triggers.http import raw
from lambdabox.triggers.http.apis import api_from_resource, http_api_cors, implicit_api
from lambdabox.triggers.http.authorizers import ApiAuth, api_auth, route_authorizer
from lambdabox.triggers.http.authorizers.definitions import guard_definition_routes
from lambdabox.triggers.http.errors import DeclarationError
from lambdabox.triggers.http.model import (
    DEFAULT_ROUTE,
    FUNCTION_URL,
    HTTP_API,
    HTTP_API_TIMEOUT_S,
    REST_API,
    REST_API_TIMEOUT_S,
    Api,
    FunctionUrl,
    Route,
    service_id,
)
from lambdabox.triggers.http.openapi import definition_routes, load_definition, with_extensions
from lambdabox.triggers.http.refs import Functions, lookup, root_first
from lambdabox.triggers.ports import FunctionInvoker

SAM_APIS = ("AWS::Serverless::HttpApi", "AWS::Serverless::Api")


@dataclass
class Declarations:
    """What the template asks the HTTP front to serve, and lines about what it skipped."""

    routes: list[Route] = field(default_factory=list)
    urls: list[FunctionUrl] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    absent: set[str] = field(default_factory=set)  # functions not run: their routes neither
    _taken: dict[tuple[str, str], Route] = field(default_factory=dict)

    def add(self, route: Route) -> None:
        """Add a route unless the same method and path are served already (first one wins)."""
        if route.function in self.absent:
            return
        key = (route.method, route.path)
        first = self._taken.get(key)
        if first is not None:
            if first.function != route.function or first.api != route.api:
                self.notes.append(
                    f"{route.route_key} from {route.source} not served: {first.source} has it"
                )
            return
        self._taken[key] = route
        self.routes.append(route)


def discover(template: Template, invoker: FunctionInvoker) -> Declarations:
    """The routes and function URLs of `template` whose functions run under `invoker`."""
    functions = Functions(template, invoker)
    found = Declarations(absent=functions.absent)
    seed = f"{template.account_id}/{template.region}/{template.stack_name}"
    apis: dict[str, Api] = {}
    definitions: dict[str, Mapping[str, Any]] = {}
    auths: dict[str, ApiAuth] = {}
    for resource in root_first(template.of_type(*SAM_APIS)):
        where = f"{resource.type} {resource.path}"
        api = api_from_resource(resource, seed)
        doc = load_definition(resource.properties, template.folder, where)
        if doc is not None:
            api = with_extensions(api, doc, where)
            definitions[resource.path] = doc
        apis[resource.path] = api
        apis[api.api_id] = api
        finder = functions.finder(resource.stack)
        auths[api.name] = api_auth(resource.properties.get("Auth"), api, finder, where, found.notes)
        for guard in auths[api.name].authorizers.values():
            if guard.function in functions.absent:
                found.notes.append(
                    f"{where}: authorizer {guard.name}'s function {guard.function} is not run "
                    "(--function); its routes answer 500"
                )
    for fn in root_first(template.functions()):
        if fn.path in functions.absent:
            continue
        _function_events(fn, apis, auths, seed, found)
        config = fn.properties.get("FunctionUrlConfig")
        if config is not None:
            found.urls.append(_url(fn.path, config, fn.stack, f"{fn.path}.FunctionUrlConfig", seed))
    for name, doc in definitions.items():
        api = apis[name]
        where = f"{name}.DefinitionBody"
        finder = functions.finder(api.stack)
        routes = definition_routes(api, doc, finder, where, found.notes)
        for route in guard_definition_routes(routes, doc, auths[name], finder, found.notes):
            found.add(route)
    for resource in root_first(template.of_type("AWS::Lambda::Url")):
        _lambda_url(resource, functions, seed, found)
    raw.discover(template, functions, seed, found)
    return found


def _function_events(
    fn: Resource,
    apis: Mapping[str, Api],
    auths: Mapping[str, ApiAuth],
    seed: str,
    found: Declarations,
) -> None:
    events = fn.properties.get("Events") or {}
    if not isinstance(events, Mapping):
        raise DeclarationError(fn.path, "Events is not a map", "give each event a name")
    for name, event in events.items():
        if not isinstance(event, Mapping) or event.get("Type") not in ("HttpApi", "Api"):
            continue
        where = f"{fn.path}.Events.{name}"
        props = event.get("Properties") or {}
        if not isinstance(props, Mapping):
            raise DeclarationError(where, "Properties is not an object", "fix the event")
        if event["Type"] == "HttpApi":
            api = _named_api(props.get("ApiId"), apis, fn, HTTP_API, seed, where)
            path, method = props.get("Path"), props.get("Method")
            if path is None and method is None:
                path, method = DEFAULT_ROUTE, "ANY"
            payload = str(props.get("PayloadFormatVersion") or "2.0")
        else:
            api = _named_api(props.get("RestApiId"), apis, fn, REST_API, seed, where)
            path, method = props.get("Path"), props.get("Method")
            payload = "1.0"
        if not isinstance(path, str) or not isinstance(method, str):
            raise DeclarationError(
                where, "Path or Method missing", "give both (Method: get, any, ...)"
            )
        if path != DEFAULT_ROUTE and not path.startswith("/"):
            raise DeclarationError(where, f"Path {path!r} does not start with /", "write /" + path)
        if payload not in ("1.0", "2.0"):
            raise DeclarationError(where, f"PayloadFormatVersion {payload!r}", 'use "1.0" or "2.0"')
        method = method.upper()
        if method == "X-AMAZON-APIGATEWAY-ANY-METHOD":
            method = "ANY"
        timeout = _timeout(props.get("TimeoutInMillis"), api.kind, where)
        key = DEFAULT_ROUTE if path == DEFAULT_ROUTE else f"{method} {path}"
        guard = route_authorizer(auths.get(api.name), props.get("Auth"), key, where, found.notes)
        found.add(Route(api, method, path, fn.path, payload, where, timeout, guard))


def _timeout(value: Any, kind: str, where: str) -> float:
    limit = HTTP_API_TIMEOUT_S if kind == HTTP_API else REST_API_TIMEOUT_S
    if value is None:
        return limit
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).isdigit():
        raise DeclarationError(where, f"TimeoutInMillis is {value!r}", "give milliseconds")
    millis = int(value)
    if not 50 <= millis <= 30000:
        raise DeclarationError(where, f"TimeoutInMillis {millis}", "use 50 to 30000")
    return min(millis / 1000, limit) if kind == HTTP_API else millis / 1000


def _named_api(
    ref: Any, apis: Mapping[str, Api], fn: Resource, kind: str, seed: str, where: str
) -> Api:
    if ref is None:  # the implicit API; the template gives it (with Globals) when it has one
        implicit = implicit_api(kind, fn.stack, seed)
        return apis.get(implicit.name) or implicit
    api = lookup(apis, ref, fn.stack)
    if api is None:
        prop = "ApiId" if kind == HTTP_API else "RestApiId"
        raise DeclarationError(
            where,
            f"{prop} {ref!r} names no API of the template",
            "!Ref an API resource of this stack",
        )
    return api


def _url(function: str, config: Any, stack: tuple[str, ...], where: str, seed: str) -> FunctionUrl:
    if not isinstance(config, Mapping):
        raise DeclarationError(where, "FunctionUrlConfig is not an object", "give AuthType")
    mode = str(config.get("InvokeMode") or "BUFFERED")
    if mode not in ("BUFFERED", "RESPONSE_STREAM"):
        raise DeclarationError(where, f"InvokeMode {mode!r}", "use BUFFERED or RESPONSE_STREAM")
    auth = str(config.get("AuthType") or "NONE")
    if auth not in ("NONE", "AWS_IAM"):
        raise DeclarationError(where, f"AuthType {auth!r}", "use NONE or AWS_IAM")
    api = Api(
        kind=FUNCTION_URL,
        name=where,
        api_id=service_id(f"{seed}/{where}", 32),
        cors=http_api_cors(config.get("Cors"), where),
        stack=stack,
    )
    return FunctionUrl(api, function, mode, auth, where)


def _lambda_url(resource: Resource, functions: Functions, seed: str, found: Declarations) -> None:
    where = f"AWS::Lambda::Url {resource.path}"
    target = resource.properties.get("TargetFunctionArn")
    function = functions.find(target, resource.stack)
    if function in functions.absent:
        return
    if function is None:
        if isinstance(target, str) and target.startswith("arn:"):
            found.notes.append(f"{where}: {target} is not a function of this application")
            return
        raise DeclarationError(
            where, f"TargetFunctionArn {target!r} names no function", "!GetAtt a function's Arn"
        )
    if any(url.function == function for url in found.urls):
        found.notes.append(f"{where}: {function} has a function URL already; not served twice")
        return
    found.urls.append(_url(function, resource.properties, resource.stack, where, seed))
