"""Routes from OpenAPI definitions, raw API Gateway resources and nested stacks; bad
declarations give one clear error."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lambdabox.template.model import Resource, Template
from lambdabox.testing.http_front import Fn, FrontApp, function, http_event, request, template
from lambdabox.triggers.http import DeclarationError, triggers
from lambdabox.triggers.ports import AppSettings, UnknownFunction

HANDLERS = Path(__file__).parent / "handlers"

ACCOUNT = "012345678912"  # the emulator's default account


def arn(name: str) -> str:
    return f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{name}"


def integration_uri(name: str) -> str:
    return f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{arn(name)}/invocations"


def proxy(name: str, payload: str | None = None) -> dict[str, Any]:
    integration = {"type": "aws_proxy", "httpMethod": "POST", "uri": integration_uri(name)}
    if payload:
        integration["payloadFormatVersion"] = payload
    return {"x-amazon-apigateway-integration": integration}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FrontApp]:
    tmp = tmp_path_factory.mktemp("definitions")
    swagger = {
        "swagger": "2.0",
        "info": {"title": "doc", "version": "1"},
        "x-amazon-apigateway-binary-media-types": ["application/pdf"],
        "paths": {"/swagger/{proxy+}": {"x-amazon-apigateway-any-method": proxy("EchoFunction")}},
    }
    (tmp / "swagger.json").write_text(json.dumps(swagger))
    resources = [
        Resource(
            "DocApi",
            "AWS::Serverless::HttpApi",
            {
                "DefinitionBody": {
                    "openapi": "3.0.1",
                    "paths": {
                        "/doc/{id}": {"get": proxy("EchoFunction", "2.0")},
                        "/doc-any": {
                            "x-amazon-apigateway-any-method": proxy("EchoFunction", "1.0")
                        },
                        "/doc-mock": {"get": {"x-amazon-apigateway-integration": {"type": "mock"}}},
                    },
                }
            },
        ),
        Resource(
            "DocRestApi",
            "AWS::Serverless::Api",
            {"StageName": "docs", "DefinitionUri": str(tmp / "swagger.json")},
        ),
        Resource(
            "QuickApi",
            "AWS::ApiGatewayV2::Api",
            {"ProtocolType": "HTTP", "Target": arn("PlainFunction"), "RouteKey": "GET /quick"},
        ),
        Resource("V2Api", "AWS::ApiGatewayV2::Api", {"ProtocolType": "HTTP", "Name": "v2"}),
        Resource(
            "V2Integration",
            "AWS::ApiGatewayV2::Integration",
            {
                "ApiId": {"Ref": "V2Api"},
                "IntegrationType": "AWS_PROXY",
                "IntegrationUri": arn("EchoFunction"),
                "PayloadFormatVersion": "1.0",
            },
        ),
        Resource(
            "V2Route",
            "AWS::ApiGatewayV2::Route",
            {
                "ApiId": {"Ref": "V2Api"},
                "RouteKey": "POST /v2/things/{thing}",
                "Target": "integrations/V2Integration",
            },
        ),
        Resource("RawRest", "AWS::ApiGateway::RestApi", {"Name": "raw"}),
        Resource("RawStage", "AWS::ApiGateway::Stage", {"RestApiId": "RawRest", "StageName": "v1"}),
        Resource(
            "RawItems",
            "AWS::ApiGateway::Resource",
            {
                "RestApiId": {"Ref": "RawRest"},
                "ParentId": {"Fn::GetAtt": ["RawRest", "RootResourceId"]},
                "PathPart": "raw",
            },
        ),
        Resource(
            "RawItem",
            "AWS::ApiGateway::Resource",
            {"RestApiId": {"Ref": "RawRest"}, "ParentId": {"Ref": "RawItems"}, "PathPart": "{id}"},
        ),
        Resource(
            "RawGet",
            "AWS::ApiGateway::Method",
            {
                "RestApiId": {"Ref": "RawRest"},
                "ResourceId": {"Ref": "RawItem"},
                "HttpMethod": "GET",
                "Integration": {"Type": "AWS_PROXY", "Uri": integration_uri("EchoFunction")},
            },
        ),
        function("EchoFunction"),
        function(
            "PlainFunction",
            {"Shared": http_event("/shared", "get"), "Default": {"Type": "HttpApi"}},
        ),
        Resource(
            "ChildFunction",
            "AWS::Serverless::Function",
            {"Events": {"Shared": http_event("/shared", "get")}},
            stack=("Child",),
        ),
    ]
    functions = {
        "EchoFunction": Fn("echo", environments=1),
        "PlainFunction": Fn("plain", environments=1),
        "Child.ChildFunction": Fn("echo", environments=1),
    }
    record = tmp / "records"
    record.mkdir()
    front = FrontApp(template(tmp, *resources), functions, record, HANDLERS).start()
    yield front
    front.close()


def _event(resp: Any) -> dict[str, Any]:
    assert resp.status == 200, (resp.status, resp.body)
    event: dict[str, Any] = json.loads(resp.body)
    return event


def test_openapi_definition_body_routes(app: FrontApp) -> None:
    event = _event(request("GET", app.api + "/doc/3"))
    assert event["version"] == "2.0"
    assert event["routeKey"] == "GET /doc/{id}"
    assert event["pathParameters"] == {"id": "3"}
    old = _event(request("DELETE", app.api + "/doc-any"))
    assert old["version"] == "1.0"
    assert old["httpMethod"] == "DELETE"
    assert any(
        "paths./doc-mock.get: integration type 'mock' not run locally" in n for n in app.notes
    )


def test_swagger_definition_uri_routes(app: FrontApp) -> None:
    event = _event(request("GET", app.api + "/swagger/a/b"))
    assert "version" not in event
    assert event["resource"] == "/swagger/{proxy+}"
    assert event["requestContext"]["stage"] == "docs"
    pdf = _event(
        request(
            "POST",
            app.api + "/swagger/x",
            headers=[("Content-Type", "application/pdf")],
            body=b"%PDF",
        )
    )
    assert pdf["isBase64Encoded"] is True


def test_apigatewayv2_quick_create(app: FrontApp) -> None:
    resp = request("GET", app.api + "/quick")
    assert resp.status == 200
    assert json.loads(resp.body) == {"hello": "world", "n": 1}


def test_apigatewayv2_route_and_integration(app: FrontApp) -> None:
    event = _event(request("POST", app.api + "/v2/things/t1"))
    assert event["version"] == "1.0"
    assert event["pathParameters"] == {"thing": "t1"}
    assert event["resource"] == "/v2/things/{thing}"


def test_raw_rest_api_resources(app: FrontApp) -> None:
    event = _event(request("GET", app.api + "/raw/77"))
    assert "version" not in event
    assert event["resource"] == "/raw/{id}"
    assert event["pathParameters"] == {"id": "77"}
    assert event["requestContext"]["stage"] == "v1"


def test_root_stack_wins_and_default_route(app: FrontApp) -> None:
    shared = request("GET", app.api + "/shared")
    assert json.loads(shared.body) == {"hello": "world", "n": 1}  # PlainFunction, not the child's
    assert any("Child.ChildFunction.Events.Shared" in n for n in app.notes)
    fallback = request("PUT", app.api + "/anything/else")
    assert fallback.status == 200
    assert json.loads(fallback.body) == {"hello": "world", "n": 1}


class _Arns:
    """A FunctionInvoker that only knows ARNs (discovery never invokes)."""

    def function_arn(self, function: str) -> str:
        if function not in ("Fn",):
            raise UnknownFunction(function)
        return arn(function)

    def function_concurrency(self, function: str) -> int:
        return 1

    async def invoke(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError("not invoked")

    async def invoke_event(self, function: str, payload: bytes) -> str:
        raise AssertionError("not invoked")


@pytest.mark.parametrize(
    ("props", "message"),
    [
        (
            {"Events": {"E": {"Type": "Api", "Properties": {"Method": "get"}}}},
            "Fn.Events.E: Path or Method missing; give both",
        ),
        (
            {"Events": {"E": http_event("/x", "get", ApiId="NoSuchApi")}},
            "Fn.Events.E: ApiId 'NoSuchApi' names no API of the template",
        ),
        (
            {"Events": {"E": http_event("x", "get")}},
            "Fn.Events.E: Path 'x' does not start with /; write /x",
        ),
        (
            {"Events": {"E": http_event("/x", "get", TimeoutInMillis=40000)}},
            "Fn.Events.E: TimeoutInMillis 40000; use 50 to 30000",
        ),
        (
            {"FunctionUrlConfig": {"AuthType": "NONE", "InvokeMode": "STREAM"}},
            "Fn.FunctionUrlConfig: InvokeMode 'STREAM'; use BUFFERED or RESPONSE_STREAM",
        ),
    ],
)
def test_bad_declarations(tmp_path: Path, props: dict[str, Any], message: str) -> None:
    tpl = Template(tmp_path / "t.yaml", {"Fn": Resource("Fn", "AWS::Serverless::Function", props)})
    with pytest.raises(DeclarationError) as caught:
        triggers(tpl, _Arns(), AppSettings(http_port=0))
    assert message in str(caught.value)


def test_functions_not_running_are_skipped(tmp_path: Path) -> None:
    other = Resource(
        "Other",
        "AWS::Serverless::Function",
        {"FunctionName": "other-fn", "Events": {"E": http_event("/o", "get")}},
    )
    doc = {"paths": {"/doc": {"get": proxy("other-fn")}}}
    api = Resource("Api", "AWS::Serverless::HttpApi", {"DefinitionBody": doc})
    notes: list[str] = []
    tpl = Template(tmp_path / "t.yaml", {"Other": other, "Api": api})
    assert triggers(tpl, _Arns(), AppSettings(http_port=0, notes=notes.append)) == []
    assert notes == []
