"""Authorizers as raw resources (the CDK's output), through a real `lambdabox up`:
`AWS::ApiGateway::Authorizer` (TOKEN) on an `AWS::ApiGateway::Method`, and
`AWS::ApiGatewayV2::Authorizer` (REQUEST, simple responses) on an `AWS::ApiGatewayV2::Route`;
a JWT route is warned about."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from lambdabox.testing.http_front import request
from lambdabox.testing.up import UpLauncher, UpProcess

SCENARIO = Path(__file__).resolve().parents[4] / "scenarios" / "app_authorizers"


def _uri(function: str) -> str:
    return (
        "!Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/"
        f"${{{function}.Arn}}/invocations"
    )


TEMPLATE = f"""\
Resources:
  Echo:
    Type: AWS::Lambda::Function
    Properties: {{Code: src, Handler: app.handler, Runtime: python3.11}}
  Policy:
    Type: AWS::Lambda::Function
    Properties: {{Code: src, Handler: auth.policy, Runtime: python3.11}}
  Simple:
    Type: AWS::Lambda::Function
    Properties: {{Code: src, Handler: auth.simple, Runtime: python3.11}}
  Rest:
    Type: AWS::ApiGateway::RestApi
    Properties: {{Name: rest}}
  Items:
    Type: AWS::ApiGateway::Resource
    Properties: {{RestApiId: !Ref Rest, ParentId: !GetAtt Rest.RootResourceId, PathPart: items}}
  TokenAuth:
    Type: AWS::ApiGateway::Authorizer
    Properties:
      RestApiId: !Ref Rest
      Name: token
      Type: TOKEN
      AuthorizerUri: {_uri("Policy")}
      IdentitySource: method.request.header.X-Key
      AuthorizerResultTtlInSeconds: 0
  ItemsGet:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Rest
      ResourceId: !Ref Items
      HttpMethod: GET
      AuthorizationType: CUSTOM
      AuthorizerId: !Ref TokenAuth
      Integration:
        Type: AWS_PROXY
        IntegrationHttpMethod: POST
        Uri: {_uri("Echo")}
  Http:
    Type: AWS::ApiGatewayV2::Api
    Properties: {{Name: http, ProtocolType: HTTP}}
  HttpAuth:
    Type: AWS::ApiGatewayV2::Authorizer
    Properties:
      ApiId: !Ref Http
      Name: simple
      AuthorizerType: REQUEST
      AuthorizerUri: {_uri("Simple")}
      AuthorizerPayloadFormatVersion: "2.0"
      EnableSimpleResponses: true
      IdentitySource: [$request.header.Authorization]
  Jwt:
    Type: AWS::ApiGatewayV2::Authorizer
    Properties:
      ApiId: !Ref Http
      Name: jwt
      AuthorizerType: JWT
      IdentitySource: [$request.header.Authorization]
      JwtConfiguration: {{Issuer: https://issuer.example.com, Audience: [x]}}
  Integration:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Http
      IntegrationType: AWS_PROXY
      IntegrationUri: !GetAtt Echo.Arn
      PayloadFormatVersion: "2.0"
  Guarded:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: !Ref Http
      RouteKey: GET /guarded
      AuthorizationType: CUSTOM
      AuthorizerId: !Ref HttpAuth
      Target: !Sub integrations/${{Integration}}
  WithJwt:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: !Ref Http
      RouteKey: GET /jwt
      AuthorizationType: JWT
      AuthorizerId: !Ref Jwt
      Target: !Sub integrations/${{Integration}}
"""


@pytest.fixture(scope="module")
def up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UpProcess]:
    tmp = tmp_path_factory.mktemp("raw")
    app = tmp / "app"
    app.mkdir()
    (app / "src").symlink_to(SCENARIO / "src")
    (app / "template.yaml").write_text(TEMPLATE)
    with UpLauncher(tmp) as launcher:
        yield launcher.start(cwd=app)


def _url(up: UpProcess, path: str) -> str:
    return str(
        next(t["detail"]["url"] for t in up.listing["triggers"] if t["detail"]["path"] == path)
    )


def test_rest_method_with_a_raw_token_authorizer(up: UpProcess) -> None:
    url = _url(up, "/items")
    assert request("GET", url).status == 401
    denied = request("GET", url, [("X-Key", "deny")])
    assert (denied.status, denied.header("x-amzn-ErrorType")) == (403, "AccessDeniedException")
    allowed = request("GET", url, [("X-Key", "allow")])
    assert json.loads(allowed.body)["authorizer"]["principalId"] == "user-allow"


def test_http_route_with_a_raw_request_authorizer(up: UpProcess) -> None:
    url = _url(up, "/guarded")
    assert request("GET", url).status == 401
    assert request("GET", url, [("Authorization", "nope")]).status == 403
    allowed = request("GET", url, [("Authorization", "allow-raw")])
    assert json.loads(allowed.body)["authorizer"]["lambda"]["user"] == "allow-raw"


def test_jwt_route_is_warned_about(up: UpProcess) -> None:
    assert request("GET", _url(up, "/jwt")).status == 200
    err = up.stderr()
    assert "GET /jwt (AWS::ApiGatewayV2::Route WithJwt) uses JWT authorization" in err
    assert "Authorizer TokenAuth: not run locally" not in err  # they run now
    assert "Authorizer HttpAuth: not run locally" not in err
