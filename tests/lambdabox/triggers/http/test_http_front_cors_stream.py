"""CORS as API Gateway and function URLs answer it; a streamed function URL, chunk by chunk."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

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

ORIGIN = "https://app.example"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FrontApp]:
    tmp = tmp_path_factory.mktemp("cors")
    cors_api = Resource(
        "CorsApi",
        "AWS::Serverless::HttpApi",
        {
            "CorsConfiguration": {
                "AllowOrigins": [ORIGIN],
                "AllowMethods": ["GET", "POST"],
                "AllowHeaders": ["x-custom"],
                "ExposeHeaders": ["x-exposed"],
                "MaxAge": 600,
                "AllowCredentials": True,
            }
        },
    )
    rest_api = Resource(
        "CorsRestApi",
        "AWS::Serverless::Api",
        {"StageName": "Prod", "Cors": {"AllowOrigin": "'*'", "AllowHeaders": "'x-custom'"}},
    )
    tpl = template(
        tmp,
        cors_api,
        rest_api,
        function(
            "EchoFunction",
            {
                "Http": http_event("/cors/items", "get", ApiId="CorsApi"),
                "Rest": rest_event("/rest-cors/items", "get", RestApiId="CorsRestApi"),
            },
            FunctionUrlConfig={
                "AuthType": "NONE",
                "Cors": {"AllowOrigins": ["*"], "AllowMethods": ["*"], "MaxAge": 30},
            },
        ),
        function(
            "StreamFunction",
            FunctionUrlConfig={"AuthType": "NONE", "InvokeMode": "RESPONSE_STREAM"},
        ),
        function(
            "BufferedInStreamMode",
            FunctionUrlConfig={"AuthType": "NONE", "InvokeMode": "RESPONSE_STREAM"},
        ),
    )
    functions = {
        "EchoFunction": Fn("echo", environments=1),
        "StreamFunction": Fn("stream", environments=1),
        "BufferedInStreamMode": Fn("plain", environments=1),
    }
    record = tmp / "records"
    record.mkdir()
    front = FrontApp(tpl, functions, record, HANDLERS).start()
    yield front
    front.close()


def _preflight(url: str, origin: str, method: str = "POST") -> list[tuple[str, str]]:
    return [
        ("Origin", origin),
        ("Access-Control-Request-Method", method),
        ("Access-Control-Request-Headers", "x-custom"),
    ]


def test_http_api_preflight(app: FrontApp) -> None:
    resp = request("OPTIONS", app.api + "/cors/items", headers=_preflight(app.api, ORIGIN))
    assert resp.status == 204
    assert resp.body == b""
    assert resp.header("access-control-allow-origin") == ORIGIN
    assert resp.header("access-control-allow-methods") == "GET,POST"
    assert resp.header("access-control-allow-headers") == "x-custom"
    assert resp.header("access-control-max-age") == "600"
    assert resp.header("access-control-allow-credentials") == "true"
    other = request(
        "OPTIONS", app.api + "/cors/items", headers=_preflight(app.api, "https://evil.example")
    )
    assert other.status == 204
    assert other.header("access-control-allow-origin") is None


def test_http_api_cors_headers_on_responses(app: FrontApp) -> None:
    resp = request("GET", app.api + "/cors/items", headers=[("Origin", ORIGIN)])
    assert resp.status == 200
    assert resp.header("access-control-allow-origin") == ORIGIN
    assert resp.header("access-control-expose-headers") == "x-exposed"
    assert resp.header("access-control-allow-credentials") == "true"
    plain = request("GET", app.api + "/cors/items")
    assert plain.header("access-control-allow-origin") is None


def test_rest_api_preflight(app: FrontApp) -> None:
    resp = request("OPTIONS", app.api + "/rest-cors/items", headers=_preflight(app.api, ORIGIN))
    assert resp.status == 200
    assert resp.header("Access-Control-Allow-Origin") == "*"
    assert resp.header("Access-Control-Allow-Methods") == "GET,OPTIONS"
    assert resp.header("Access-Control-Allow-Headers") == "x-custom"
    # REST adds nothing to the function's own responses.
    actual = request("GET", app.api + "/rest-cors/items", headers=[("Origin", ORIGIN)])
    assert actual.status == 200
    assert actual.header("Access-Control-Allow-Origin") is None


def test_function_url_cors(app: FrontApp) -> None:
    url = app.function_url("EchoFunction")
    resp = request("OPTIONS", url + "/x", headers=_preflight(url, ORIGIN, "DELETE"))
    assert resp.status == 204
    assert resp.header("access-control-allow-origin") == "*"
    assert resp.header("access-control-allow-methods") == "*"
    assert resp.header("access-control-max-age") == "30"
    actual = request("GET", url + "/x", headers=[("Origin", ORIGIN)])
    assert actual.status == 200
    assert actual.header("access-control-allow-origin") == "*"


def _read_chunk(reader: BinaryIO) -> bytes:
    size = int(reader.readline().strip(), 16)
    data = reader.read(size) if size else b""
    assert reader.readline() == b"\r\n"
    return data


def test_streamed_function_url_chunk_by_chunk(app: FrontApp) -> None:
    parts = urlsplit(app.function_url("StreamFunction"))
    record = app.record_dir
    with socket.create_connection((parts.hostname, parts.port), timeout=15) as sock:
        sock.sendall(b"GET /stream HTTP/1.1\r\nHost: local\r\n\r\n")
        reader = sock.makefile("rb")
        status = reader.readline()
        assert status.startswith(b"HTTP/1.1 203 ")
        head: list[tuple[str, str]] = []
        while (line := reader.readline()) != b"\r\n":
            name, _, value = line.decode().partition(":")
            head.append((name.lower(), value.strip()))
        assert ("transfer-encoding", "chunked") in head
        assert ("content-type", "text/plain") in head
        assert ("set-cookie", "s=1") in head
        # The first body chunk arrives while the function is still waiting for go-2.
        assert _read_chunk(reader) == b"first chunk;"
        assert not (record / "go-2").exists()
        (record / "go-2").write_text("")
        assert _read_chunk(reader) == b"after go-2;"
        (record / "go-3").write_text("")
        assert _read_chunk(reader) == b"after go-3;"
        assert _read_chunk(reader) == b""  # the last chunk


def test_stream_mode_function_answering_without_streaming(app: FrontApp) -> None:
    resp = request("GET", app.function_url("BufferedInStreamMode") + "/")
    assert resp.status == 200
    assert json.loads(resp.body) == {"hello": "world", "n": 1}
