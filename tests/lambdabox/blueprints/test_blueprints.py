"""Blueprints (`lambdabox init`): the projects they create, their handlers, the CLI."""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from lambdabox import blueprints
from lambdabox.blueprints import cli
from lambdabox.events import sample

BLUEPRINTS = ["hello", "http-api", "s3-event", "sqs-batch", "scheduled"]


class Context:
    """The handler context's fields, as the runtime interface client fills them in."""

    function_name = "blueprint-test"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:blueprint-test"
    memory_limit_in_mb = "128"
    aws_request_id = "8f507cfc-6d4b-4b2a-9b1f-0c5a0f7e1d2e"
    log_group_name = "/aws/lambda/blueprint-test"
    log_stream_name = "2026/11/27/[$LATEST]0123456789abcdef"
    identity = None
    client_context = None

    def get_remaining_time_in_millis(self) -> int:
        return 3000


def load_app(project: Path) -> ModuleType:
    """Import the project's app.py under a name of its own, as a fresh module."""
    name = f"blueprint_app_{uuid.uuid4().hex}"
    spec = importlib.util.spec_from_file_location(name, project / "app.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def invoke(project: Path, event: Any) -> Any:
    return load_app(project).handler(event, Context())


@pytest.fixture
def make(tmp_path: Path) -> Iterator[Any]:
    def make(blueprint: str) -> Path:
        return blueprints.create(f"my-{blueprint}", blueprint, tmp_path)

    yield make
    # the apps set their own loggers' levels; leave logging as it was
    for name in list(logging.root.manager.loggerDict):
        if name.startswith("blueprint_app_"):
            logging.getLogger(name).setLevel(logging.NOTSET)


def test_names_and_descriptions() -> None:
    assert blueprints.names() == BLUEPRINTS
    for name in BLUEPRINTS:
        assert blueprints.describe(name)
    with pytest.raises(blueprints.UnknownBlueprint, match="`lambdabox init --list`"):
        blueprints.describe("nope")


@pytest.mark.parametrize("blueprint", BLUEPRINTS)
def test_project_layout(blueprint: str, make: Any) -> None:
    project = make(blueprint)
    files = sorted(p.relative_to(project).as_posix() for p in project.rglob("*") if p.is_file())
    assert files == ["README.md", "app.py", "event.json", "requirements.txt", "tests/test_app.py"]
    readme = (project / "README.md").read_text()
    assert readme.startswith(f"# my-{blueprint}\n")
    assert "`pytest`" in readme
    assert f"`lambdabox build . --handler app.handler -t my-{blueprint}:dev --load`" in readme
    assert f"`lambdabox run my-{blueprint}:dev`" in readme
    assert "`lambdabox invoke --event event.json`" in readme
    for path in project.rglob("*"):
        if path.is_file():
            text = path.read_text()
            assert "{{" not in text, path
            assert not path.name.endswith(".tmpl")
    test_source = (project / "tests" / "test_app.py").read_text()
    assert "lambda_function(" in test_source
    assert "parents[1]" in test_source
    if blueprint != "hello":
        assert "from lambdabox.events import sample" in test_source
    json.loads((project / "event.json").read_text())
    compile((project / "app.py").read_text(), "app.py", "exec")
    compile(test_source, "test_app.py", "exec")


def test_hello_handler(make: Any) -> None:
    project = make("hello")
    assert invoke(project, {"name": "Ada"}) == {"message": "Hello, Ada!"}
    assert invoke(project, {}) == {"message": "Hello, world!"}
    assert invoke(project, json.loads((project / "event.json").read_text())) == {
        "message": "Hello, my-hello!"
    }
    with pytest.raises(TypeError, match="name must be a string"):
        invoke(project, {"name": 42})


def http(method: str, path: str, body: str | None = None) -> dict[str, Any]:
    return sample(
        "apigateway-http",
        {
            "requestContext.http.method": method,
            "requestContext.http.path": path,
            "rawPath": path,
            "body": "null" if body is None else body,
        },
    )


def test_http_api_handler(make: Any) -> None:
    project = make("http-api")
    app = load_app(project)
    created = app.handler(sample("apigateway-http"), Context())
    assert created["statusCode"] == 201
    assert created["headers"]["content-type"] == "application/json"
    item = json.loads(created["body"])
    assert item == {"id": "3", "name": "widget", "price": 9.5}
    assert created["headers"]["location"] == "/items/3"

    listed = app.handler(http("GET", "/items"), Context())
    assert listed["statusCode"] == 200
    assert [i["id"] for i in json.loads(listed["body"])["items"]] == ["1", "2", "3"]
    got = app.handler(http("GET", "/items/3"), Context())
    assert (got["statusCode"], json.loads(got["body"])) == (200, item)

    missing = app.handler(http("GET", "/items/99"), Context())
    assert missing["statusCode"] == 404
    assert app.handler(http("GET", "/nowhere"), Context())["statusCode"] == 404
    wrong = app.handler(http("DELETE", "/items"), Context())
    assert wrong["statusCode"] == 405
    assert wrong["headers"]["allow"] == "GET, POST"
    assert app.handler(http("POST", "/items", "not json"), Context())["statusCode"] == 400
    assert app.handler(http("POST", "/items", '{"price": 1}'), Context())["statusCode"] == 400
    for response in (created, listed, missing, wrong):
        assert isinstance(response["body"], str)
        assert set(response) == {"statusCode", "headers", "body", "isBase64Encoded"}


def test_http_api_handler_takes_function_url_and_base64_and_stages(make: Any) -> None:
    app = load_app(make("http-api"))
    url = app.handler(sample("function-url"), Context())  # GET /items
    assert url["statusCode"] == 200
    encoded = http("POST", "/items", "eyJuYW1lIjogImIifQ==")  # {"name": "b"}
    encoded["isBase64Encoded"] = True
    assert json.loads(app.handler(encoded, Context())["body"])["name"] == "b"
    staged = sample(
        "apigateway-http",
        {"requestContext.stage": "prod", "rawPath": "/prod/items/1", "body": "null"},
    )
    staged["requestContext"]["http"]["method"] = "GET"
    assert app.handler(staged, Context())["statusCode"] == 200


def test_s3_event_handler(make: Any) -> None:
    project = make("s3-event")
    put = invoke(project, sample("s3-put"))
    assert put == {
        "objects": [
            {
                "event": "ObjectCreated:Put",
                "bucket": "example-uploads-bucket",
                "key": "uploads/2026/summer photo(1).jpg",
                "size": 1024,
            }
        ],
        "created": 1,
        "removed": 0,
        "bytes": 1024,
    }
    deleted = invoke(project, sample("s3-delete"))
    assert (deleted["created"], deleted["removed"], deleted["bytes"]) == (0, 1, 0)
    assert deleted["objects"][0]["key"] == "uploads/2026/old report.pdf"


def test_sqs_batch_handler(make: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    project = make("sqs-batch")
    assert invoke(project, sample("sqs")) == {"batchItemFailures": []}
    event = sample("sqs", {"Records.1.body": "not json"})
    assert invoke(project, event) == {
        "batchItemFailures": [{"itemIdentifier": event["Records"][1]["messageId"]}]
    }
    app = load_app(project)

    def failing(message: Any, record: dict[str, Any]) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(app, "process", failing)
    result = app.handler(sample("sqs"), Context())
    assert len(result["batchItemFailures"]) == 2


def test_scheduled_handler(make: Any, caplog: pytest.LogCaptureFixture) -> None:
    project = make("scheduled")
    with caplog.at_level(logging.INFO):
        result = invoke(project, sample("scheduled"))
    assert result == {"time": "2026-11-27T12:00:00Z", "rule": "nightly-report"}
    assert "scheduled run at 2026-11-27T12:00:00Z" in caplog.text


@pytest.mark.parametrize("blueprint", BLUEPRINTS)
def test_project_tests_pass_with_the_plugin(blueprint: str, make: Any) -> None:
    """The project's own tests, as its README says to run them (needs the pytest plugin)."""
    project = make(blueprint)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "lambdabox", str(project / "tests")],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_refuses_to_overwrite(tmp_path: Path) -> None:
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "keep.txt").write_text("mine")
    with pytest.raises(blueprints.ProjectExists, match="already exists and is not empty"):
        blueprints.create("taken", "hello", tmp_path)
    assert sorted(p.name for p in (tmp_path / "taken").iterdir()) == ["keep.txt"]
    (tmp_path / "empty").mkdir()
    assert blueprints.create("empty", "hello", tmp_path) == tmp_path / "empty"
    (tmp_path / "file").write_text("")
    with pytest.raises(blueprints.ProjectExists):
        blueprints.create("file", "hello", tmp_path)


@pytest.mark.parametrize("name", ["My-Function", "a b", "../up", "x/y", "-x", "", "a" * 129])
def test_invalid_names(name: str, tmp_path: Path) -> None:
    with pytest.raises(blueprints.InvalidName, match="lowercase letters and digits"):
        blueprints.create(name, "hello", tmp_path)
    assert list(tmp_path.iterdir()) == []


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="lambdabox init", description=cli.DESCRIPTION)
    cli.add_arguments(parser)
    return parser.parse_args(argv)


def test_cli_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.run(parse("--list")) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[0] for line in lines] == BLUEPRINTS
    assert all(len(line.split("\t")) == 2 and line.split("\t")[1] for line in lines)


def test_cli_creates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["orders", "--blueprint", "sqs-batch", "--directory", str(tmp_path / "fns")]
    assert cli.run(parse(*argv)) == 0
    out = capsys.readouterr().out
    project = tmp_path / "fns" / "orders"
    assert (project / "app.py").is_file()
    assert f"created {project} from the sqs-batch blueprint" in out
    assert "lambdabox build . --handler app.handler -t orders:dev --load" in out
    assert json.loads((project / "event.json").read_text()) == sample("sqs")


def test_cli_defaults_to_hello_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli.run(parse("greeter")) == 0
    assert "Hello" in (tmp_path / "greeter" / "app.py").read_text()


def test_cli_refuses_to_overwrite_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.run(parse("fn", "-d", str(tmp_path))) == 0
    capsys.readouterr()
    assert cli.run(parse("fn", "-d", str(tmp_path), "-b", "s3-event")) == 1
    err = capsys.readouterr().err
    assert err.startswith("lambdabox init: ")
    assert "already exists and is not empty; choose another NAME or --directory" in err
    assert "Hello" in (tmp_path / "fn" / "app.py").read_text()  # untouched


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["fn", "--blueprint", "nope"], "unknown blueprint nope; `lambdabox init --list`"),
        (["Bad Name"], "invalid NAME 'Bad Name'"),
        ([], "name the project"),
    ],
)
def test_cli_usage_errors_exit_2(
    argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.run(parse(*argv, "--directory", str(tmp_path))) == 2
    assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
