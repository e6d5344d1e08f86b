"""Lambda authorizers through a real `lambdabox up` (process mode) and real HTTP requests:
HTTP API simple and IAM-policy responses (payload 2.0 and 1.0), REST TOKEN and REQUEST
authorizers, identity sources, caching, the service's refusals, JWT/Cognito warnings."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lambdabox.testing.http_front import Response, request
from lambdabox.testing.up import UpLauncher, UpProcess

SCENARIO = Path(__file__).resolve().parents[4] / "scenarios" / "app_authorizers"
ACCOUNT = "123456789012"

UNAUTHORIZED = b'{"message":"Unauthorized"}'
HTTP_FORBIDDEN = b'{"message":"Forbidden"}'
HTTP_FAILED = b'{"message":"Internal Server Error"}'
REST_DENY = b'{"Message":"User is not authorized to access this resource with an explicit deny"}'
REST_NOT_ALLOWED = b'{"Message":"User is not authorized to access this resource"}'
REST_FAILED = b'{"message": null}'


@pytest.fixture(scope="module")
def up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UpProcess]:
    with UpLauncher(tmp_path_factory.mktemp("authorizers")) as launcher:
        yield launcher.start(cwd=SCENARIO)


def _base(up: UpProcess) -> str:
    url = up.listing["triggers"][0]["detail"]["url"]
    return str(url).rsplit("/", 1)[0]


def _api_id(up: UpProcess, api: str) -> str:
    found = (t["detail"]["api_id"] for t in up.listing["triggers"] if t["detail"]["api"] == api)
    return str(next(found))


def _get(up: UpProcess, path: str, method: str = "GET", **headers: str) -> Response:
    return request(method, _base(up) + path, list(headers.items()))


def _authorizer(response: Response) -> Any:
    assert response.status == 200, response.body
    return json.loads(response.body)["authorizer"]


def test_listing_names_each_routes_authorizer(up: UpProcess) -> None:
    by_route = {t["detail"]["route_key"]: t["detail"]["authorizer"] for t in up.listing["triggers"]}
    assert by_route["GET /simple"] == "Simple"
    assert by_route["GET /policy/{id}"] == "Policy"
    assert by_route["ANY /items/{id}"] == "Token"
    assert by_route["GET /req"] == "Request"
    assert by_route["GET /open"] is None
    assert by_route["GET /rest-open"] is None


def test_http_api_simple_response_with_cache(up: UpProcess) -> None:
    missing = _get(up, "/simple")
    assert (missing.status, missing.body) == (401, UNAUTHORIZED)
    assert missing.header("apigw-requestid")
    first = _authorizer(_get(up, "/simple", Authorization="allow-cache"))
    arn = f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{_api_id(up, 'HttpApi')}/$default/GET/simple"
    context = first["lambda"]
    assert context["type"] == "REQUEST"
    assert context["arn"] == arn
    assert context["identity"] == "['allow-cache']"
    assert context["keys"] == (
        "headers,identitySource,rawPath,rawQueryString,requestContext,routeArn,routeKey,"
        "type,version"
    )
    # ReauthorizeEvery 300: the same identity is answered from the cache.
    again = _authorizer(_get(up, "/simple", Authorization="allow-cache"))
    assert again == first
    other = _authorizer(_get(up, "/simple", Authorization="allow-other"))
    assert other["lambda"]["calls"] > context["calls"]


def test_http_api_denied_and_failing_authorizer(up: UpProcess) -> None:
    denied = _get(up, "/simple", Authorization="deny")
    assert (denied.status, denied.body) == (403, HTTP_FORBIDDEN)
    failed = _get(up, "/simple", Authorization="error")
    assert (failed.status, failed.body) == (500, HTTP_FAILED)


def test_http_api_policy_authorizer_payload_1(up: UpProcess) -> None:
    # Both identity sources are required: the header and the query string.
    only_header = _get(up, "/policy/7", Authorization="allow")
    assert (only_header.status, only_header.body) == (401, UNAUTHORIZED)
    context = _authorizer(_get(up, "/policy/7?tenant=t1", Authorization="allow"))["lambda"]
    api_id = _api_id(up, "HttpApi")
    assert (
        context["arn"] == f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{api_id}/$default/GET/policy/7"
    )
    assert context["identity"] == "allow,t1"  # 1.0: one comma-joined string
    assert "methodArn" in context["keys"].split(",")
    assert "authorizationToken" in context["keys"].split(",")
    denied = _get(up, "/policy/7?tenant=t1", Authorization="deny")
    assert (denied.status, denied.body) == (403, HTTP_FORBIDDEN)


def test_rest_token_authorizer_answers(up: UpProcess) -> None:
    cases = {
        None: (401, UNAUTHORIZED, "UnauthorizedException"),
        "nope": (401, UNAUTHORIZED, "UnauthorizedException"),  # fails ValidationExpression
        "unauthorized": (401, UNAUTHORIZED, "UnauthorizedException"),
        "deny": (403, REST_DENY, "AccessDeniedException"),
        "other": (403, REST_NOT_ALLOWED, "AccessDeniedException"),
        "error": (500, REST_FAILED, "AuthorizerConfigurationException"),
        "malformed": (500, REST_FAILED, "AuthorizerConfigurationException"),
    }
    for token, (status, body, error_type) in cases.items():
        headers = {} if token is None else {"X-Token": token}
        answer = _get(up, "/items/1", **headers)
        assert (answer.status, answer.body, answer.header("x-amzn-ErrorType")) == (
            status,
            body,
            error_type,
        ), token
        assert answer.header("x-amzn-RequestId")


def test_rest_token_context_and_cached_policy(up: UpProcess) -> None:
    first = _authorizer(_get(up, "/items/1", **{"X-Token": "allow-get"}))
    api_id = _api_id(up, "RestApi")
    assert first["principalId"] == "user-allow-get"
    assert first["arn"] == f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{api_id}/dev/GET/items/1"
    assert first["type"] == "TOKEN"
    assert first["keys"] == "authorizationToken,methodArn,type"
    assert (first["n"], first["ok"]) == ("7", "true")  # REST passes context values as strings
    assert isinstance(first["integrationLatency"], int)
    # The cached policy (GET only) is evaluated against each request's own method ARN.
    post = _get(up, "/items/1", "POST", **{"X-Token": "allow-get"})
    assert (post.status, post.body) == (403, REST_NOT_ALLOWED)
    second = _authorizer(_get(up, "/dev/items/2", **{"X-Token": "allow-get"}))
    assert second["calls"] == first["calls"]
    assert second["arn"].endswith("/dev/GET/items/1")  # the context cached with the policy


def test_rest_request_authorizer_without_caching(up: UpProcess) -> None:
    first = _authorizer(_get(up, "/req", **{"X-Token": "allow"}))
    assert first["type"] == "REQUEST"
    assert "methodArn" in first["keys"].split(",")
    assert "body" not in first["keys"].split(",")
    second = _authorizer(_get(up, "/req", **{"X-Token": "allow"}))
    assert int(second["calls"]) > int(first["calls"])  # ReauthorizeEvery 0: invoked each time
    # Caching off: identity sources are optional, the authorizer decides (here: deny).
    missing = _get(up, "/req")
    assert (missing.status, missing.body) == (403, REST_DENY)


def test_open_routes_and_unenforced_authorizers(up: UpProcess) -> None:
    assert _authorizer(_get(up, "/open")) is None
    assert _authorizer(_get(up, "/rest-open")) is None
    assert _authorizer(_get(up, "/jwt")) is None
    assert _authorizer(_get(up, "/cognito")) is None
    err = up.stderr()
    assert "GET /jwt (EchoFunction.Events.HttpJwt) uses the JWT authorizer Jwt" in err
    assert "GET /cognito (EchoFunction.Events.RestCognito) uses the Cognito authorizer" in err
    assert err.count("NOT enforced locally") == 2


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "Auth: {Authorizer: Policy}",
            "Auth: {Authorizer: Polcy}",
            "EchoFunction.Events.HttpPolicy: Auth.Authorizer 'Polcy' is not an authorizer of "
            "the event's API; declare it under Auth.Authorizers",
        ),
        (
            'AuthorizerPayloadFormatVersion: "1.0"',
            "EnableSimpleResponses: false",
            "Auth.Authorizers.Policy: AuthorizerPayloadFormatVersion is missing; "
            'give "1.0" or "2.0"',
        ),
        (
            'ValidationExpression: "^(allow',
            'ValidationExpression: "^((allow',
            "Auth.Authorizers.Token: ValidationExpression",
        ),
    ],
)
def test_bad_auth_declarations_stop_with_the_fix(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    app = tmp_path / "app"
    app.mkdir()
    (app / "src").symlink_to(SCENARIO / "src")
    text = (SCENARIO / "template.yaml").read_text()
    assert old in text
    (app / "template.yaml").write_text(text.replace(old, new, 1))
    with UpLauncher(tmp_path) as launcher:
        proc = launcher.start(cwd=app, listing=False)
        assert proc.proc.wait(60) == 1
        err = proc.stderr()
    assert message in err
    assert "Traceback" not in err


GLOBALS_TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Globals:
  Function: {Runtime: python3.11, CodeUri: src/}
  HttpApi:
    Auth:
      DefaultAuthorizer: Simple
      Authorizers:
        Simple:
          FunctionArn: !GetAtt SimpleAuthFunction.Arn
          AuthorizerPayloadFormatVersion: "2.0"
          EnableSimpleResponses: true
          Identity: {Headers: [Authorization]}
Resources:
  SimpleAuthFunction:
    Type: AWS::Serverless::Function
    Properties: {Handler: auth.simple}
  EchoFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Events:
        Get: {Type: HttpApi, Properties: {Path: /x, Method: get}}
"""


def test_globals_authorizer_guards_the_implicit_http_api(tmp_path: Path) -> None:
    app = tmp_path / "app"
    app.mkdir()
    (app / "src").symlink_to(SCENARIO / "src")
    (app / "template.yaml").write_text(GLOBALS_TEMPLATE)
    with UpLauncher(tmp_path) as launcher:
        up = launcher.start(cwd=app)
        route = up.listing["triggers"][0]["detail"]
        assert (route["api"], route["authorizer"]) == ("ServerlessHttpApi", "Simple")
        missing = request("GET", route["url"])
        assert (missing.status, missing.body) == (401, UNAUTHORIZED)
        allowed = request("GET", route["url"], [("Authorization", "allow-x")])
        assert _authorizer(allowed)["lambda"]["user"] == "allow-x"
        assert up.stop() == 0
