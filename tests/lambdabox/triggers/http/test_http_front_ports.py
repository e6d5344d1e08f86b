"""Where the HTTP front listens: API routes on the HTTP port, function URLs after it, and a
clear error when a port is taken; AWS_IAM function URLs refuse unsigned requests."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from lambdabox.template.model import Resource, Template
from lambdabox.testing.http_front import Fn, FrontApp, function, http_event, request, template
from lambdabox.triggers.http import HttpTriggerError, triggers
from lambdabox.triggers.ports import AppSettings, UnknownFunction

HANDLERS = Path(__file__).parent / "handlers"


class _Arns:
    """A FunctionInvoker for discovery and listening only (these tests send no invocation)."""

    def function_arn(self, function: str) -> str:
        return f"arn:aws:lambda:us-east-1:123456789012:function:{function}"

    def function_concurrency(self, function: str) -> int:
        return 1

    async def invoke(self, *args: Any, **kwargs: Any) -> Any:
        raise UnknownFunction("not invoked here")

    async def invoke_event(self, function: str, payload: bytes) -> str:
        raise UnknownFunction("not invoked here")


def _free_run(count: int) -> int:
    """A port P with P .. P+count-1 free (checked by binding them)."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = int(probe.getsockname()[1])
        if base + count > 65535:
            continue
        sockets = []
        try:
            for port in range(base, base + count):
                s = socket.socket()
                sockets.append(s)
                s.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for s in sockets:
                s.close()
    raise AssertionError("no run of free ports")


def _tpl(tmp: Path, *resources: Resource) -> Template:
    return Template(tmp / "t.yaml", {r.path: r for r in resources})


async def _ports(tpl: Template, http_port: int) -> list[tuple[str, int]]:
    fronts = triggers(tpl, _Arns(), AppSettings(http_port=http_port))
    try:
        for front in fronts:
            await front.start()
        found = []
        for front in fronts:
            for line in front.describe():
                port = int(line.detail["url"].split(":")[2].split("/")[0])
                with socket.create_connection(("127.0.0.1", port), timeout=5):
                    pass  # it listens
                found.append((line.kind, port))
        return found
    finally:
        for front in fronts:
            await front.close()


def test_function_urls_take_the_free_ports_after_the_http_port(tmp_path: Path) -> None:
    base = _free_run(4)
    tpl = _tpl(
        tmp_path,
        function("A", {"E": http_event("/a", "get")}, FunctionUrlConfig={"AuthType": "NONE"}),
        function("B", FunctionUrlConfig={"AuthType": "NONE"}),
    )
    with socket.socket() as taken:  # e.g. the Invoke API on http_port + 1
        taken.bind(("127.0.0.1", base + 1))
        taken.listen()
        ports = asyncio.run(_ports(tpl, base))
    assert ports == [("http", base), ("url", base + 2), ("url", base + 3)]


def test_a_lone_function_url_takes_the_http_port(tmp_path: Path) -> None:
    base = _free_run(1)
    tpl = _tpl(tmp_path, function("A", FunctionUrlConfig={"AuthType": "NONE"}))
    assert asyncio.run(_ports(tpl, base)) == [("url", base)]


def test_http_port_in_use_is_a_clear_error(tmp_path: Path) -> None:
    tpl = _tpl(tmp_path, function("A", {"E": http_event("/a", "get")}))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        with pytest.raises(HttpTriggerError) as caught:
            asyncio.run(_ports(tpl, port))
    message = str(caught.value)
    assert f"cannot listen on 127.0.0.1:{port}" in message
    assert "choose another --http-port" in message


@pytest.fixture(scope="module")
def iam_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FrontApp]:
    tmp = tmp_path_factory.mktemp("iam")
    tpl = template(tmp, function("EchoFunction", FunctionUrlConfig={"AuthType": "AWS_IAM"}))
    record = tmp / "records"
    record.mkdir()
    app = FrontApp(tpl, {"EchoFunction": Fn("echo", environments=1)}, record, HANDLERS).start()
    yield app
    app.close()


def test_iam_function_url_refuses_unsigned_requests(iam_app: FrontApp) -> None:
    resp = request("GET", iam_app.function_url("EchoFunction") + "/")
    assert resp.status == 403
    assert resp.body == b'{"Message":"Forbidden"}'


def test_iam_function_url_takes_signed_requests(iam_app: FrontApp) -> None:
    url = iam_app.function_url("EchoFunction") + "/signed?x=1"
    signed = AWSRequest(method="GET", url=url)
    SigV4Auth(Credentials("AKIDLOCALEXAMPLE", "secret"), "lambda", "us-east-1").add_auth(signed)
    resp = request("GET", url, headers=list(signed.headers.items()))
    assert resp.status == 200
    event = json.loads(resp.body)
    iam = event["requestContext"]["authorizer"]["iam"]
    assert iam["accessKey"] == "AKIDLOCALEXAMPLE"
    assert iam["accountId"] == "123456789012"
