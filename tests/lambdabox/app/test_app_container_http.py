"""HTTP triggers answering through containers: `lambdabox up --mode container` builds the
Zip function onto the python3.11 base image (lambdabox's builder, local Debian packages,
cached) and serves an HTTP API route, a REST route (behind a Lambda authorizer that runs
in its own container) and a function URL from it."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest

from lambdabox.testing.http_front import request
from lambdabox.testing.up import UpLauncher

TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Globals:
  Function: {Runtime: python3.11, CodeUri: src/, Timeout: 10}
Resources:
  Echo:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.echo
      FunctionUrlConfig: {AuthType: NONE}
      Events:
        Http:
          Type: HttpApi
          Properties: {Path: "/hello/{name}", Method: get}
        Rest:
          Type: Api
          Properties:
            RestApiId: !Ref Rest
            Path: /items/{id}
            Method: post
  Auth:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.authorize
  Rest:
    Type: AWS::Serverless::Api
    Properties:
      StageName: Prod
      Auth:
        DefaultAuthorizer: Token
        Authorizers:
          Token: {FunctionArn: !GetAtt Auth.Arn}
"""
HANDLER = """\
import json
import os


def echo(event, context):
    return {
        "statusCode": 201,
        "headers": {"content-type": "application/json"},
        "body": json.dumps({
            "task_root": os.environ.get("LAMBDA_TASK_ROOT"),
            "version": event.get("version"),
            "routeKey": event.get("routeKey"),
            "resource": event.get("resource"),
            "params": event.get("pathParameters"),
            "body": event.get("body"),
            "authorizer": event["requestContext"].get("authorizer"),
        }),
    }


def authorize(event, context):
    effect = "Allow" if event["authorizationToken"] == "Bearer ok" else "Deny"
    return {
        "principalId": "me",
        "policyDocument": {"Version": "2012-10-17", "Statement": [
            {"Action": "execute-api:Invoke", "Effect": effect, "Resource": event["methodArn"]}
        ]},
        "context": {"where": os.environ.get("LAMBDA_TASK_ROOT", "")},
    }
"""


@pytest.mark.slow
def test_http_api_rest_and_function_url_through_containers(tmp_path: Path) -> None:
    app = tmp_path / "app"
    (app / "src").mkdir(parents=True)
    (app / "src" / "app.py").write_text(HANDLER)
    (app / "template.yaml").write_text(TEMPLATE)
    with UpLauncher(tmp_path) as launcher:
        up = launcher.start("--mode", "container", cwd=app)
        assert up.listing["mode"] == "container"
        urls = {t["kind"]: t["detail"]["url"] for t in up.listing["triggers"]}
        api = urls["http"].split("/hello/")[0].split("/items/")[0]

        http = request("GET", api + "/hello/w%C3%B6rld")
        assert http.status == 201, http.body
        got = json.loads(http.body)
        assert got["task_root"] == "/var/task"
        assert (got["version"], got["routeKey"]) == ("2.0", "GET /hello/{name}")
        assert got["params"] == {"name": "wörld"}

        denied = request("POST", api + "/items/9", [("Authorization", "Bearer no")], b"{}")
        assert denied.status == 403, denied.body
        rest = request("POST", api + "/items/9", [("Authorization", "Bearer ok")], b'{"n":1}')
        assert rest.status == 201, rest.body
        got = json.loads(rest.body)
        assert (got["resource"], got["params"], got["body"]) == (
            "/items/{id}",
            {"id": "9"},
            '{"n":1}',
        )
        assert got["authorizer"]["principalId"] == "me"
        assert got["authorizer"]["where"] == "/var/task"  # the authorizer ran in a container

        url = request("GET", urls["url"] + "/any/path?x=1")
        assert url.status == 201, url.body
        got = json.loads(url.body)
        assert (got["version"], got["routeKey"]) == ("2.0", "$default")
        assert up.stop(signal.SIGTERM, timeout=60) == 0
