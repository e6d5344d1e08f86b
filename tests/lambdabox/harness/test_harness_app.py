"""The `lambda_app` fixture machinery: an application from a template in this process,
invoked by name, its logs, its HTTP client, and the clock tests advance by hand."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from lambdabox.harness.app import HttpClient, LambdaApp
from lambdabox.harness.clock import ManualClock

TEMPLATE = """\
Resources:
  Echo:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src
      Handler: app.handler
      Runtime: python3.11
      Environment: {Variables: {STAGE: !Ref Stage}}
  Other:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: other-fn
      Code: {ZipFile: "def handler(event, context):\\n    return 'inline'\\n"}
      Handler: index.handler
      Runtime: python3.11
Parameters:
  Stage: {Type: String, Default: dev}
"""
HANDLER = """\
import os


def handler(event, context):
    print("echoing", event)
    return {"stage": os.environ["STAGE"], "event": event}
"""


@pytest.fixture(scope="module")
def app(
    tmp_path_factory: pytest.TempPathFactory, lambda_app_factory: Callable[..., LambdaApp]
) -> LambdaApp:
    folder = tmp_path_factory.mktemp("app")
    (folder / "src").mkdir()
    (folder / "src" / "app.py").write_text(HANDLER)
    (folder / "template.yaml").write_text(TEMPLATE)
    return lambda_app_factory(folder / "template.yaml", parameter_overrides={"Stage": "test"})


def test_invoke_by_logical_id_and_name_with_logs(app: LambdaApp) -> None:
    result = app.invoke("Echo", {"n": 1})
    assert result.status == 200
    assert result.payload == {"stage": "test", "event": {"n": 1}}
    assert any(line.startswith(f"REPORT RequestId: {result.request_id}") for line in result.logs)
    assert "echoing {'n': 1}" in app.logs("Echo")
    assert app.invoke("other-fn").payload == "inline"
    assert app.notes == []  # nothing in the template goes unrun
    missing = app.invoke("Nope")
    assert missing.status == 404


def test_http_client_resolves_relative_urls(app: LambdaApp) -> None:
    client = HttpClient(app.invoke_url)
    try:
        answer = client.post("/2015-03-31/functions/Echo/invocations", json={"via": "http"})
    finally:
        client.close()
    assert answer.json() == {"stage": "test", "event": {"via": "http"}}
    assert app.http.base_url == f"http://127.0.0.1:{app.config.http_port}"


def test_the_same_options_give_the_same_running_app(
    app: LambdaApp, lambda_app_factory: Callable[..., LambdaApp]
) -> None:
    assert lambda_app_factory(app.config.template, parameter_overrides={"Stage": "test"}) is app


def test_manual_clock_wakes_sleepers_in_time_order() -> None:
    clock = ManualClock(start=1_000.0)
    fired: list[float] = []

    async def every_minute() -> None:
        while True:
            await clock.sleep_until(clock.now() - clock.now() % 60 + 60)
            fired.append(clock.now())

    async def scenario() -> None:
        task = asyncio.ensure_future(every_minute())
        await asyncio.sleep(0)
        await clock.advance_async(5 * 60)
        task.cancel()

    asyncio.run(scenario())
    assert fired == [1020.0, 1080.0, 1140.0, 1200.0, 1260.0]
    assert clock.now() == 1300.0


def test_schedule_advance_returns_no_invocations_without_schedules(app: LambdaApp) -> None:
    assert app.schedule.advance(minutes=5) == []


def test_source_helpers_and_unknown_attributes(app: LambdaApp) -> None:
    from lambdabox.triggers.rabbitmq.testing import RabbitHelper

    assert isinstance(app.rabbitmq, RabbitHelper)
    with pytest.raises(AttributeError, match="LambdaApp has no 'nosuch'"):
        _ = app.nosuch


def test_lambda_app_reads_its_template_from_the_ini_option(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\nlambdabox_template = infra/template.yaml\n"
        "lambdabox_parameter_overrides =\n    Stage=ini\n"
    )
    (tmp_path / "infra" / "src").mkdir(parents=True)
    (tmp_path / "infra" / "src" / "app.py").write_text(HANDLER)
    (tmp_path / "infra" / "template.yaml").write_text(TEMPLATE)
    (tmp_path / "test_user.py").write_text(
        "def test_it(lambda_app):\n"
        "    assert lambda_app.invoke('Echo', {}).payload['stage'] == 'ini'\n"
    )
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_user.py"]
    done = subprocess.run(
        argv, cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
