"""Identity sources read from a request: headers (repeats joined), query strings, stage
variables and context variables; a missing one is None."""

from __future__ import annotations

from lambdabox.triggers.http.authorizers.events import identity_values, method_arn
from lambdabox.triggers.http.authorizers.model import IdentitySource
from lambdabox.triggers.http.events import Incoming
from lambdabox.triggers.http.model import HTTP_API, Api

API = Api(kind=HTTP_API, name="Api", api_id="abc123", stage="dev", stage_variables={"env": "x"})
REQUEST = Incoming(
    method="GET",
    raw_path="/pets/7",
    raw_query="tenant=a&tenant=b&empty=",
    fields=(("Authorization", "t1"), ("X-Multi", "1"), ("x-multi", "2"), ("User-Agent", "ua")),
    body=b"",
    source_ip="127.0.0.1",
    port=3000,
    received=0.0,
)


def test_each_kind_of_identity_source() -> None:
    sources = (
        IdentitySource("header", "authorization"),
        IdentitySource("header", "X-Multi"),
        IdentitySource("query", "tenant"),
        IdentitySource("query", "empty"),
        IdentitySource("stage", "env"),
        IdentitySource("context", "identity.sourceIp"),
        IdentitySource("context", "requestId"),
        IdentitySource("header", "X-Missing"),
        IdentitySource("query", "missing"),
        IdentitySource("stage", "missing"),
        IdentitySource("context", "no.such"),
    )
    context = {"requestId": "r-1"}
    assert identity_values(sources, REQUEST, API, context) == [
        "t1", "1,2", "a,b", "", "x", "127.0.0.1", "r-1", None, None, None, None,
    ]  # fmt: skip
    assert [s.expression for s in sources[:5]] == [
        "$request.header.authorization",
        "$request.header.X-Multi",
        "$request.querystring.tenant",
        "$request.querystring.empty",
        "$stageVariables.env",
    ]


def test_method_arn() -> None:
    arn = method_arn(API, "GET", "/pets/7", "eu-west-1", "111122223333")
    assert arn == "arn:aws:execute-api:eu-west-1:111122223333:abc123/dev/GET/pets/7"
    root = method_arn(API, "POST", "/", "eu-west-1", "111122223333")
    assert root.endswith("abc123/dev/POST/")
