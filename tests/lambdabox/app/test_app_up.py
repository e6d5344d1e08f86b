"""`lambdabox up` as a real subprocess: the Invoke API for every function, the listing,
--env-vars, --function, parameter overrides, hot reload, and a clean stop."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from lambdabox.testing.up import UpProcess, alive, descendants

ACCOUNT = "123456789012"


def test_two_functions_answer_by_name_logical_id_and_arn(
    two_functions: Path, start_up: Callable[..., UpProcess]
) -> None:
    up = start_up(cwd=two_functions)
    hello = up.invoke("HelloFunction", {"n": 1})
    assert hello == {
        "fn": "HelloFunction",
        "greeting": "hello",
        "orders": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:orders-fn",
        "shared": "from the layer",
        "event": {"n": 1},
    }
    arn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:orders-fn"
    for name in ("orders-fn", "OrdersFunction", arn, f"{arn}:$LATEST"):
        assert up.invoke(name) == {"fn": "orders-fn", "arn": arn}
    assert up.invoke(f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:HelloFunction")["fn"] == (
        "HelloFunction"
    )
    with pytest.raises(ClientError) as caught:
        up.lambda_client().invoke(FunctionName="nope", Payload=b"{}")
    error = caught.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert error["Error"]["Code"] == "ResourceNotFoundException"
    assert error["Error"]["Message"] == (
        f"Function not found: arn:aws:lambda:us-east-1:{ACCOUNT}:function:nope"
    )

    listing = up.listing
    assert listing["mode"] == "process"
    assert listing["invokeApi"] == up.url
    assert [(f["logicalId"], f["name"], f["environments"]) for f in listing["functions"]] == [
        ("HelloFunction", "HelloFunction", 4),
        ("OrdersFunction", "orders-fn", 2),
    ]
    assert listing["functions"][1]["invokeUrl"] == (
        f"{up.url}/2015-03-31/functions/orders-fn/invocations"
    )
    assert listing["outputs"] == {}
    assert listing["warnings"] == [
        "AWS::IAM::Role Role: not run locally (references to it get a stand-in)"
    ]

    runtimes = descendants(up.proc.pid)
    assert len(runtimes) >= 2  # one environment per function at least
    assert up.stop(signal.SIGTERM) == 0
    left = [pid for pid in runtimes if alive(pid)]
    assert left == [], f"processes left behind: {left}"
    assert "[HelloFunction] REPORT RequestId:" in up.stderr()  # --json: logs on stderr


def test_env_vars_function_subset_and_overrides(
    two_functions: Path, start_up: Callable[..., UpProcess]
) -> None:
    env_file = two_functions / "env.json"
    env_file.write_text(
        json.dumps(
            {"Parameters": {"GREETING": "from Parameters"}, "HelloFunction": {"UNDECLARED": "x"}}
        )
    )
    up = start_up(
        "--function", "HelloFunction",
        "--env-vars", str(env_file),
        "--parameter-overrides", "ParameterKey=Greeting,ParameterValue=bonjour",
        cwd=two_functions,
    )  # fmt: skip
    assert up.invoke("HelloFunction")["greeting"] == "from Parameters"
    assert [f["logicalId"] for f in up.listing["functions"]] == ["HelloFunction"]
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        up.lambda_client().invoke(FunctionName="orders-fn", Payload=b"{}")
    assert up.stop() == 0
    assert "does not declare UNDECLARED in its Environment" in up.stderr()

    plain = start_up("--parameter-overrides", "Greeting=hallo", cwd=two_functions)
    assert plain.invoke("HelloFunction")["greeting"] == "hallo"


def test_hot_reload_of_an_edited_handler_and_template(
    two_functions: Path, start_up: Callable[..., UpProcess]
) -> None:
    up = start_up(cwd=two_functions)
    assert up.invoke("orders-fn")["fn"] == "orders-fn"
    handler = two_functions / "orders" / "app.py"
    handler.write_text("def handler(event, context):\n    return {'edited': True}\n")
    deadline = time.monotonic() + 30
    while up.invoke("orders-fn") != {"edited": True}:
        assert time.monotonic() < deadline, up.stderr()
        time.sleep(0.1)
    template = two_functions / "template.yaml"
    template.write_text(template.read_text().replace("Default: hello", "Default: edited"))
    while up.invoke("HelloFunction")["greeting"] != "edited":
        assert time.monotonic() < deadline + 30, up.stderr()
        time.sleep(0.1)
    assert "reloaded after a change of OrdersFunction" in up.stderr()
    assert up.stop() == 0


def test_one_function_from_flags(tmp_path: Path, start_up: Callable[..., UpProcess]) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "main.py").write_text("def go(event, context):\n    return event\n")
    up = start_up("--handler", "main.go", "--code", "src", cwd=tmp_path)
    assert up.invoke("Function", {"echo": 1}) == {"echo": 1}
    assert up.listing["functions"][0]["handler"] == "main.go"
    argv = [sys.executable, "-m", "lambdabox", "invoke", "Function", "--port", str(up.port)]
    done = subprocess.run(
        [*argv, "--payload", '{"via": "invoke"}', "--json"],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(json.loads(done.stdout)["payload"]) == {"via": "invoke"}
    unknown = subprocess.run(
        [*argv[:4], "Nope", *argv[5:]], capture_output=True, text=True, timeout=30, check=False
    )
    assert unknown.returncode == 1
    assert "Function not found" in unknown.stdout
    assert up.stop() == 0


def test_up_serves_on_uvloop_when_asked(tmp_path: Path, start_up: Callable[..., UpProcess]) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "main.py").write_text("def go(event, context):\n    return event\n")
    default = start_up("--handler", "main.go", "--code", "src", cwd=tmp_path)
    assert default.invoke("Function", {"loop": "asyncio"}) == {"loop": "asyncio"}
    assert "uvloop" not in Path(f"/proc/{default.proc.pid}/maps").read_text()
    assert default.stop() == 0
    up = start_up("--handler", "main.go", "--code", "src", "--event-loop", "uvloop", cwd=tmp_path)
    assert up.invoke("Function", {"loop": "uvloop"}) == {"loop": "uvloop"}
    assert "uvloop" in Path(f"/proc/{up.proc.pid}/maps").read_text()  # its loop is loaded
    assert up.stop() == 0
    assert "[Function] REPORT RequestId:" in up.stderr()


def _up(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "lambdabox", "up", *args, "--port", "0", "--no-watch"]
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=60, check=False)


BROKEN = {
    "unknown ref": (
        "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        "      Handler: app.handler\n      Runtime: python3.11\n"
        "      Environment: {Variables: {X: !Ref Missing}}\n",
        "Resources.F.Properties.Environment.Variables.X: 'Missing' is not a parameter",
    ),
    "bad timeout": (
        "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        "      Handler: app.handler\n      Runtime: python3.11\n      Timeout: soon\n",
        "Resources.F.Properties.Timeout: 'soon' is not a whole number in 1..900",
    ),
    "missing code": (
        "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        "      Handler: app.handler\n      Runtime: python3.11\n      CodeUri: nowhere/\n",
        "Resources.F.Properties.CodeUri:",
    ),
    "no handler": (
        "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        "      Runtime: python3.11\n",
        "Resources.F.Properties.Handler: is missing",
    ),
    "not yaml": ("Resources: [\n", "not valid YAML"),
    "no functions": (
        "Resources:\n  Q:\n    Type: AWS::SNS::Topic\n",
        "the template has no function to run",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_template_is_one_clear_error_and_status_1(tmp_path: Path, case: str) -> None:
    text, expected = BROKEN[case]
    (tmp_path / "template.yaml").write_text(text)
    done = _up(cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert expected in done.stderr
    assert "Traceback" not in done.stderr
    errors = [
        line for line in done.stderr.splitlines() if not line.startswith("lambdabox up: warn")
    ]
    assert len(errors) == 1, done.stderr


def test_usage_errors_are_status_2(tmp_path: Path) -> None:
    done = _up("--schedule", "rate(1 minute)", cwd=tmp_path)
    assert done.returncode == 2
    assert "--schedule and --sqs go with --handler or --image" in done.stderr
    missing = _up(cwd=tmp_path)
    assert missing.returncode == 1
    assert "no template.yaml, template.yml, template.json in" in missing.stderr


def test_queues_in_the_template_start_moto_before_resolving(
    tmp_path: Path, start_up: Callable[..., UpProcess]
) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text(
        "import os\n\ndef handler(event, context):\n    return os.environ['QUEUE_URL']\n"
    )
    (tmp_path / "template.yaml").write_text(
        "Resources:\n"
        "  Jobs:\n    Type: AWS::SQS::Queue\n    Properties: {QueueName: jobs}\n"
        "  Worker:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        "      CodeUri: src\n      Handler: app.handler\n      Runtime: python3.11\n"
        "      Environment: {Variables: {QUEUE_URL: !Ref Jobs}}\n"
    )
    up = start_up(cwd=tmp_path)
    endpoint = up.listing["awsEndpoint"]
    assert endpoint.startswith("http://127.0.0.1:")
    assert up.invoke("Worker") == f"{endpoint}/{ACCOUNT}/jobs"
    helpers = descendants(up.proc.pid)
    assert up.stop() == 0
    assert [pid for pid in helpers if alive(pid)] == []


def test_response_streaming_through_the_shared_invoke_api(
    tmp_path: Path, start_up: Callable[..., UpProcess]
) -> None:
    (tmp_path / "stream.py").write_text(
        "def handler(event, context):\n    for i in range(3):\n        yield f'chunk{i};'\n"
    )
    up = start_up("--handler", "stream.handler", cwd=tmp_path)
    client = up.lambda_client()
    answer = client.invoke_with_response_stream(FunctionName="Function", Payload=b"{}")
    chunks = [
        event["PayloadChunk"]["Payload"]
        for event in answer["EventStream"]
        if "PayloadChunk" in event
    ]
    assert b"".join(chunks) == b"chunk0;chunk1;chunk2;"
    assert up.stop() == 0
