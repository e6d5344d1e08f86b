"""Routing and request/response mapping of the HTTP front, through real functions.

One application: HTTP API routes (payload 2.0 and 1.0), REST routes (implicit API, stage
Prod, and a named API with binary media types) and a function URL, side by side.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lambdabox.template.model import Resource
from lambdabox.testing.http_front import (
    Fn,
    FrontApp,
    function,
    http_event,
    request,
    rest_event,
    template,
)

HANDLERS = Path(__file__).parent / "handlers"

PNG = bytes(range(256)) + b"\x89PNG\r\n\x1a\n\x00\xff"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FrontApp]:
    tmp = tmp_path_factory.mktemp("mapping")
    rest_api = Resource(
        "BinaryRestApi",
        "AWS::Serverless::Api",
        {"StageName": "live", "BinaryMediaTypes": ["image~1png"], "Variables": {"color": "blue"}},
    )
    http_api = Resource(
        "StagedHttpApi",
        "AWS::Serverless::HttpApi",
        {"StageName": "dev", "StageVariables": {"tier": "gold"}},
    )
    echo = function(
        "EchoFunction",
        {
            "Item": http_event("/items/{id}", "get"),
            "Items": http_event("/items", "post"),
            "Literal": http_event("/items/special", "get"),
            "Files": http_event("/files/{proxy+}", "any"),
            "Deep": http_event("/files/a/{name}", "get"),
            "Old": http_event("/v1/items/{id}", "get", PayloadFormatVersion="1.0"),
            "Staged": http_event("/staged", "get", ApiId={"Ref": "StagedHttpApi"}),
            "RestItem": rest_event("/rest/items/{id}", "get"),
            "RestAny": rest_event("/rest/{proxy+}", "any"),
            "RestStaged": rest_event("/rest-staged", "get", RestApiId={"Ref": "BinaryRestApi"}),
        },
        FunctionUrlConfig={"AuthType": "NONE"},
    )
    plain = function("PlainFunction", {"Plain": http_event("/plain", "get")})
    binary = function(
        "BinaryFunction",
        {
            "Http": http_event("/binary", "post"),
            "Rest": rest_event("/rest-binary", "post", RestApiId="BinaryRestApi"),
        },
    )
    cookies = function(
        "CookieFunction",
        {"Http": http_event("/cookies", "get"), "Rest": rest_event("/rest-cookies", "get")},
    )
    tpl = template(tmp, rest_api, http_api, echo, plain, binary, cookies)
    functions = {
        "EchoFunction": Fn("echo"),
        "PlainFunction": Fn("plain", environments=1),
        "BinaryFunction": Fn("binary", environments=1),
        "CookieFunction": Fn("cookies", environments=1),
    }
    record = tmp / "records"
    record.mkdir()
    front = FrontApp(tpl, functions, record, HANDLERS).start()
    yield front
    front.close()


def _event(app: FrontApp, path: str, **kwargs: Any) -> dict[str, Any]:
    resp = request(kwargs.pop("method", "GET"), app.api + path, **kwargs)
    assert resp.status == 200, (resp.status, resp.body)
    event: dict[str, Any] = json.loads(resp.body)
    return event


def test_payload_2_0_event_shape(app: FrontApp) -> None:
    headers = [
        ("User-Agent", "pytest-agent"),
        ("X-Multi", "one"),
        ("X-Multi", "two, three"),
        ("Cookie", "a=1; b=2"),
        ("Cookie", "c=3"),
        ("Content-Type", "application/json"),
    ]
    event = _event(app, "/items/42?x=1&x=2&y=&z=a%20b", headers=headers)
    assert event["version"] == "2.0"
    assert event["routeKey"] == "GET /items/{id}"
    assert event["rawPath"] == "/items/42"
    assert event["rawQueryString"] == "x=1&x=2&y=&z=a%20b"
    assert event["queryStringParameters"] == {"x": "1,2", "y": "", "z": "a b"}
    assert event["cookies"] == ["a=1", "b=2", "c=3"]
    assert event["pathParameters"] == {"id": "42"}
    assert event["isBase64Encoded"] is False
    assert "body" not in event
    assert "stageVariables" not in event
    h = event["headers"]
    assert "cookie" not in h
    assert h["x-multi"] == "one,two, three"
    assert h["user-agent"] == "pytest-agent"
    assert h["x-forwarded-for"] == "127.0.0.1"
    assert h["x-forwarded-proto"] == "http"
    assert h["x-forwarded-port"] == app.api.rsplit(":", 1)[1]
    assert h["x-amzn-trace-id"].startswith("Root=1-")
    assert all(k == k.lower() for k in h)
    ctx = event["requestContext"]
    assert ctx["accountId"] == "123456789012"
    assert len(ctx["apiId"]) == 10
    assert ctx["domainName"] == app.api.split("//", 1)[1]
    assert ctx["http"] == {
        "method": "GET",
        "path": "/items/42",
        "protocol": "HTTP/1.1",
        "sourceIp": "127.0.0.1",
        "userAgent": "pytest-agent",
    }
    assert ctx["routeKey"] == "GET /items/{id}"
    assert ctx["stage"] == "$default"
    assert len(ctx["requestId"]) == 16
    assert ctx["requestId"].endswith("=")
    day, month, rest = ctx["time"].split("/")
    assert len(day) == 2
    assert len(month) == 3
    assert rest.endswith(" +0000")
    assert isinstance(ctx["timeEpoch"], int)
    assert ctx["timeEpoch"] > 1_600_000_000_000


def test_routes_most_specific_first(app: FrontApp) -> None:
    assert _event(app, "/items/special")["routeKey"] == "GET /items/special"
    assert _event(app, "/items/7")["routeKey"] == "GET /items/{id}"
    deep = _event(app, "/files/a/b")
    assert deep["routeKey"] == "GET /files/a/{name}"
    assert deep["pathParameters"] == {"name": "b"}
    greedy = _event(app, "/files/a/b/c%20d", method="DELETE")
    assert greedy["routeKey"] == "ANY /files/{proxy+}"
    assert greedy["pathParameters"] == {"proxy": "a/b/c d"}
    assert greedy["rawPath"] == "/files/a/b/c d"  # HTTP APIs decode the path
    assert greedy["requestContext"]["http"]["method"] == "DELETE"


def test_unknown_route_http_api_404(app: FrontApp) -> None:
    for method, path in (("GET", "/nowhere"), ("PUT", "/items/1"), ("GET", "/files")):
        resp = request(method, app.api + path)
        assert resp.status == 404
        assert resp.body == b'{"message":"Not Found"}'
        assert resp.header("content-type") == "application/json"


def test_post_bodies_text_and_base64(app: FrontApp) -> None:
    text = _event(
        app, "/items", method="POST", headers=[("Content-Type", "text/plain")], body=b"hi there"
    )
    assert text["body"] == "hi there"
    assert text["isBase64Encoded"] is False
    form = _event(
        app,
        "/items",
        method="POST",
        headers=[("Content-Type", "application/x-www-form-urlencoded")],
        body=b"a=1&b=2",
    )
    assert form["isBase64Encoded"] is True
    assert base64.b64decode(form["body"]) == b"a=1&b=2"
    untyped = _event(app, "/items", method="POST", body=b"\x00\x01")
    assert untyped["isBase64Encoded"] is True
    assert base64.b64decode(untyped["body"]) == b"\x00\x01"


def test_payload_1_0_on_http_api(app: FrontApp) -> None:
    event = _event(app, "/v1/items/9?q=1&q=2", headers=[("X-Multi", "a"), ("X-Multi", "b")])
    assert event["version"] == "1.0"
    assert event["resource"] == "/v1/items/{id}"
    assert event["path"] == "/v1/items/9"
    assert event["httpMethod"] == "GET"
    assert event["headers"]["x-multi"] == "b"  # HTTP APIs lower-case names in 1.0 too
    assert event["multiValueHeaders"]["x-multi"] == ["a", "b"]
    assert event["queryStringParameters"] == {"q": "2"}
    assert event["multiValueQueryStringParameters"] == {"q": ["1", "2"]}
    assert event["pathParameters"] == {"id": "9"}
    assert event["requestContext"]["stage"] == "$default"


def test_payload_1_0_rest_event_shape(app: FrontApp) -> None:
    event = _event(app, "/rest/items/5", headers=[("Accept", "text/html"), ("Accept", "*/*")])
    assert "version" not in event
    assert event["resource"] == "/rest/items/{id}"
    assert event["path"] == "/rest/items/5"
    assert event["httpMethod"] == "GET"
    assert event["pathParameters"] == {"id": "5"}
    assert event["queryStringParameters"] is None
    assert event["multiValueQueryStringParameters"] is None
    assert event["stageVariables"] is None
    assert event["body"] is None
    assert event["isBase64Encoded"] is False
    assert event["multiValueHeaders"]["Accept"] == ["text/html", "*/*"]
    assert event["headers"]["X-Forwarded-For"] == "127.0.0.1"
    assert event["headers"]["X-Forwarded-Proto"] == "http"
    assert "X-Forwarded-Port" in event["headers"]
    ctx = event["requestContext"]
    assert ctx["stage"] == "Prod"
    assert ctx["path"] == "/Prod/rest/items/5"
    assert ctx["resourcePath"] == "/rest/items/{id}"
    assert ctx["httpMethod"] == "GET"
    assert ctx["identity"]["sourceIp"] == "127.0.0.1"
    assert ctx["protocol"] == "HTTP/1.1"
    assert isinstance(ctx["requestTimeEpoch"], int)
    assert len(ctx["requestId"]) == 36
    proxy = _event(app, "/rest/a%20b/c", method="PATCH")
    assert proxy["resource"] == "/rest/{proxy+}"
    assert proxy["pathParameters"] == {"proxy": "a%20b/c"}  # REST keeps the encoding
    assert proxy["path"] == "/rest/a%20b/c"


def test_unknown_route_rest_only_port_answers_403(tmp_path: Path) -> None:
    from lambdabox.triggers.http import ApiFront
    from lambdabox.triggers.http.model import REST_API, Api, Route
    from lambdabox.triggers.ports import AppSettings

    class NoInvoker:
        def function_arn(self, function: str) -> str:
            raise AssertionError("not called")

        def function_concurrency(self, function: str) -> int:
            return 1

        async def invoke(self, *args: Any, **kwargs: Any) -> Any:
            raise AssertionError("not called")

        async def invoke_event(self, function: str, payload: bytes) -> str:
            raise AssertionError("not called")

    api = Api(REST_API, "ServerlessRestApi", "abcdefghij", stage="Prod")
    front = ApiFront([Route(api, "GET", "/a", "Fn", "1.0")], NoInvoker(), AppSettings(http_port=0))
    import asyncio

    async def run() -> tuple[int, bytes, str | None]:
        await front.start()
        try:
            reply = await asyncio.to_thread(request, "GET", front.base_url + "/missing")
            return reply.status, reply.body, reply.header("x-amzn-ErrorType")
        finally:
            await front.close()

    status, body, error_type = asyncio.run(run())
    assert status == 403
    assert body == b'{"message":"Missing Authentication Token"}'
    assert error_type == "MissingAuthenticationTokenException"


def test_result_without_status_code_is_200_json(app: FrontApp) -> None:
    resp = request("GET", app.api + "/plain")
    assert resp.status == 200
    assert resp.header("content-type") == "application/json"
    assert json.loads(resp.body) == {"hello": "world", "n": 1}
    assert resp.header("apigw-requestid")


def test_binary_request_and_response_http_api(app: FrontApp) -> None:
    sent = bytes(range(256))
    resp = request(
        "POST",
        app.api + "/binary",
        headers=[("Content-Type", "application/octet-stream")],
        body=sent,
    )
    assert resp.status == 200
    assert resp.body == PNG
    assert resp.header("content-type") == "image/png"
    assert resp.header("x-received") == sent.hex()


def test_binary_rest_api_binary_media_types(app: FrontApp) -> None:
    sent = b"\x89PNG\x00\xff"
    as_png = request(
        "POST",
        app.api + "/rest-binary",
        headers=[("Content-Type", "image/png"), ("Accept", "image/png")],
        body=sent,
    )
    assert as_png.status == 200
    assert as_png.header("x-received") == sent.hex()
    assert as_png.body == PNG  # decoded: the response type is a binary media type
    as_text = request(
        "POST", app.api + "/rest-binary", headers=[("Content-Type", "text/plain")], body=b"abc"
    )
    assert as_text.header("x-received") == b"abc".hex()


def test_rest_stage_variables_and_named_stage(app: FrontApp) -> None:
    event = _event(app, "/rest-staged")
    assert event["stageVariables"] == {"color": "blue"}
    assert event["requestContext"]["stage"] == "live"
    assert event["requestContext"]["path"] == "/live/rest-staged"


def test_http_api_named_stage(app: FrontApp) -> None:
    event = _event(app, "/staged")
    assert event["stageVariables"] == {"tier": "gold"}
    assert event["requestContext"]["stage"] == "dev"
    assert event["rawPath"] == "/dev/staged"  # the service reports a named stage in the path
    assert event["routeKey"] == "GET /staged"
    # The URL the service gives (with the stage) works too.
    assert _event(app, "/dev/staged")["rawPath"] == "/dev/staged"
    rest = _event(app, "/live/rest-staged")
    assert rest["path"] == "/rest-staged"
    assert rest["requestContext"]["path"] == "/live/rest-staged"


def test_cookies_and_multi_value_headers(app: FrontApp) -> None:
    v2 = request("GET", app.api + "/cookies")
    assert v2.status == 201
    assert v2.body == b"made"
    assert v2.all("set-cookie") == ["a=1; Path=/", "b=2; HttpOnly"]
    assert v2.header("x-one") == "1"
    v1 = request("GET", app.api + "/rest-cookies")
    assert v1.status == 201
    assert v1.all("set-cookie") == ["a=1; Path=/", "b=2; HttpOnly"]
    assert v1.all("x-many") == ["x", "y"]
    assert v1.header("content-type") == "application/json"  # REST's default
    assert v1.header("x-one") == "1"


def test_function_url_event(app: FrontApp) -> None:
    url = app.function_url("EchoFunction")
    resp = request(
        "PUT",
        url + "/any%20path?k=v",
        headers=[("Content-Type", "application/json")],
        body=b'{"a": 1}',
    )
    assert resp.status == 200
    event = json.loads(resp.body)
    assert event["routeKey"] == "$default"
    assert event["rawPath"] == "/any%20path"  # function URLs keep the encoding
    assert event["body"] == '{"a": 1}'
    assert event["isBase64Encoded"] is False
    assert "pathParameters" not in event
    ctx = event["requestContext"]
    assert ctx["routeKey"] == "$default"
    assert ctx["stage"] == "$default"
    assert len(ctx["apiId"]) == 32
    assert ctx["http"]["method"] == "PUT"
    assert resp.header("x-amzn-RequestId") == ctx["requestId"]


def test_describe_lines_name_exact_urls(app: FrontApp) -> None:
    lines = [line for t in app.triggers for line in t.describe()]
    texts = [line.text for line in lines]
    item = "EchoFunction (HTTP API ServerlessHttpApi, stage $default, payload 2.0)"
    assert f"GET {app.api}/items/{{id}} -> {item}" in texts
    assert any(
        t.startswith(f"{app.function_url('EchoFunction')}/ -> EchoFunction (function URL")
        for t in texts
    )
    rest = next(line for line in lines if line.detail["path"] == "/rest-binary")
    assert rest.detail["api"] == "BinaryRestApi"
    assert rest.detail["stage"] == "live"
    assert rest.detail["url"] == f"{app.api}/rest-binary"
