"""Authorizers of routes from API definitions, through a real `lambdabox up`: a Swagger
`x-amazon-apigateway-authorizer` (REST TOKEN), `security: []`, a Cognito scheme (warned),
and SAM's DefaultAuthorizer over an HTTP API's OpenAPI operations."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from lambdabox.testing.http_front import request
from lambdabox.testing.up import UpLauncher, UpProcess

SCENARIO = Path(__file__).resolve().parents[4] / "scenarios" / "app_authorizers"
URI = (
    "!Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/"
    "${EchoFunction.Arn}/invocations"
)
AUTH_URI = URI.replace("EchoFunction", "PolicyAuthFunction")
TEMPLATE = f"""\
Transform: AWS::Serverless-2016-10-31
Globals:
  Function: {{Runtime: python3.11, CodeUri: src/}}
Resources:
  EchoFunction:
    Type: AWS::Serverless::Function
    Properties: {{Handler: app.handler}}
  PolicyAuthFunction:
    Type: AWS::Serverless::Function
    Properties: {{Handler: auth.policy}}
  SimpleAuthFunction:
    Type: AWS::Serverless::Function
    Properties: {{Handler: auth.simple}}
  Rest:
    Type: AWS::Serverless::Api
    Properties:
      StageName: v1
      DefinitionBody:
        swagger: "2.0"
        info: {{title: rest, version: "1"}}
        securityDefinitions:
          Tok:
            type: apiKey
            name: X-Key
            in: header
            x-amazon-apigateway-authtype: custom
            x-amazon-apigateway-authorizer:
              type: token
              authorizerUri: {AUTH_URI}
              identityValidationExpression: "^(allow|deny).*$"
              authorizerResultTtlInSeconds: 0
          Pool:
            type: apiKey
            name: Authorization
            in: header
            x-amazon-apigateway-authtype: cognito_user_pools
            x-amazon-apigateway-authorizer:
              type: cognito_user_pools
              providerARNs: [arn:aws:cognito-idp:us-east-1:123456789012:userpool/x]
        paths:
          /guarded:
            get:
              security: [{{Tok: []}}]
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                uri: {URI}
          /open:
            get:
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                uri: {URI}
          /pool:
            get:
              security: [{{Pool: []}}]
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                uri: {URI}
  Http:
    Type: AWS::Serverless::HttpApi
    Properties:
      Auth:
        DefaultAuthorizer: Simple
        Authorizers:
          Simple:
            FunctionArn: !GetAtt SimpleAuthFunction.Arn
            AuthorizerPayloadFormatVersion: "2.0"
            EnableSimpleResponses: true
            Identity: {{Headers: [Authorization]}}
      DefinitionBody:
        openapi: "3.0.1"
        info: {{title: http, version: "1"}}
        paths:
          /by-default:
            get:
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                uri: {URI}
                payloadFormatVersion: "2.0"
          /unguarded:
            get:
              security: []
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                uri: {URI}
                payloadFormatVersion: "2.0"
"""


@pytest.fixture(scope="module")
def up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UpProcess]:
    tmp = tmp_path_factory.mktemp("definitions")
    app = tmp / "app"
    app.mkdir()
    (app / "src").symlink_to(SCENARIO / "src")
    (app / "template.yaml").write_text(TEMPLATE)
    with UpLauncher(tmp) as launcher:
        yield launcher.start(cwd=app)


def _routes(up: UpProcess) -> dict[str, dict[str, str]]:
    return {t["detail"]["path"]: t["detail"] for t in up.listing["triggers"]}


def test_each_operation_gets_its_authorizer(up: UpProcess) -> None:
    guards = {path: detail["authorizer"] for path, detail in _routes(up).items()}
    assert guards == {
        "/guarded": "Tok",
        "/open": None,
        "/pool": None,
        "/by-default": "Simple",
        "/unguarded": None,
    }
    assert "GET /pool" in up.stderr()
    assert "uses the Cognito authorizer Pool, which is NOT enforced locally" in up.stderr()


def test_swagger_token_authorizer(up: UpProcess) -> None:
    url = _routes(up)["/guarded"]["url"]
    missing = request("GET", url)
    assert (missing.status, missing.header("x-amzn-ErrorType")) == (401, "UnauthorizedException")
    bad = request("GET", url, [("X-Key", "other")])  # identityValidationExpression
    assert bad.status == 401
    denied = request("GET", url, [("X-Key", "deny")])
    assert (denied.status, denied.header("x-amzn-ErrorType")) == (403, "AccessDeniedException")
    allowed = request("GET", url, [("X-Key", "allow")])
    assert allowed.status == 200, allowed.body
    assert json.loads(allowed.body)["authorizer"]["principalId"] == "user-allow"
    assert request("GET", _routes(up)["/open"]["url"]).status == 200


def test_default_authorizer_covers_definition_operations(up: UpProcess) -> None:
    url = _routes(up)["/by-default"]["url"]
    assert request("GET", url).status == 401
    allowed = request("GET", url, [("Authorization", "allow-1")])
    assert json.loads(allowed.body)["authorizer"]["lambda"]["user"] == "allow-1"
    assert request("GET", _routes(up)["/unguarded"]["url"]).status == 200
