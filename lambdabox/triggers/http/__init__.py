"""The HTTP front: API Gateway HTTP and REST APIs and Lambda function URLs, served locally.

Reads the routes of a resolved template (SAM `HttpApi`/`Api` events, `FunctionUrlConfig`,
`AWS::Lambda::Url`, API definitions with `x-amazon-apigateway-integration`, raw
`AWS::ApiGateway*`/`AWS::ApiGatewayV2*` resources) and serves them over HTTP/1.1 with the
service's wire behaviour: payload formats 1.0 and 2.0, response mapping, CORS, error answers,
throttling, streamed function URLs. All API routes share `settings.http_port` (paths without
a stage prefix, as `sam local start-api`); function URLs get the ports after it, one each.

May import: `lambdabox.template`, `lambdabox.triggers.ports`, `lambdabox.emulator` (its HTTP
server and the pool's `TooManyRequests`) and the standard library.
"""

from __future__ import annotations

from lambdabox.template.model import Template
from lambdabox.triggers.http.api_front import ApiFront
from lambdabox.triggers.http.discover import discover
from lambdabox.triggers.http.errors import DeclarationError, HttpTriggerError
from lambdabox.triggers.http.url_front import UrlFront
from lambdabox.triggers.ports import AppSettings, FunctionInvoker, Trigger

URL_PORT_SCAN = 100  # ports tried after the HTTP port for each function URL

__all__ = ["ApiFront", "DeclarationError", "HttpTriggerError", "UrlFront", "triggers"]


def triggers(template: Template, invoker: FunctionInvoker, settings: AppSettings) -> list[Trigger]:
    """The HTTP triggers of `template`: one front for all API routes on `http_port` (when
    there are any) and one per function URL, each on the first free port after `http_port`
    in template order (a template with function URLs and no API routes serves its first
    function URL on `http_port` itself; with `http_port` 0 every port is ephemeral). The
    ports are bound by `start()`; `describe()` then shows the exact URLs. Raises
    `DeclarationError` for a declaration that cannot be served (the message names the
    resource, the property and the fix); `start()` raises `HttpTriggerError` when a port
    cannot be bound."""
    found = discover(template, invoker)
    for note in found.notes:
        settings.notes(f"http: {note}")
    fronts: list[Trigger] = []
    if found.routes:
        fronts.append(ApiFront(found.routes, invoker, settings))
    for index, url in enumerate(found.urls):
        if not settings.http_port:
            fronts.append(UrlFront(url, invoker, settings, 0))
        elif index == 0 and not found.routes:  # a lone function URL takes the HTTP port
            fronts.append(UrlFront(url, invoker, settings, settings.http_port))
        else:  # the first free port after the HTTP port (the Invoke API may hold the next)
            fronts.append(UrlFront(url, invoker, settings, settings.http_port + 1, URL_PORT_SCAN))
    return fronts
