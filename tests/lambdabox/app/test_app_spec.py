"""Function specs read from real template files: asynchronous settings, concurrency, code
forms, environment values, and the errors naming resource, property and fix."""

from __future__ import annotations

import asyncio
import zipfile
from pathlib import Path

import pytest

from lambdabox.app.application import Application
from lambdabox.app.config import AppConfig
from lambdabox.app.errors import AppError, FunctionSpecError
from lambdabox.app.selection import choose_mode
from lambdabox.app.spec import FunctionSpec, function_specs
from lambdabox.emulator.config import EventInvokeConfig
from lambdabox.services.moto_server import free_port
from lambdabox.template import load_template

ASYNC = """\
Resources:
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: .
      Handler: app.handler
      Runtime: python3.11
      Timeout: 30
      MemorySize: 512
      Architectures: [arm64]
      ReservedConcurrentExecutions: 0
      Environment: {Variables: {FLAG: true, COUNT: 3, NAME: x}}
      EventInvokeConfig:
        MaximumEventAgeInSeconds: 120
        MaximumRetryAttempts: 0
        DestinationConfig:
          OnSuccess: {Type: Lambda, Destination: !GetAtt Done.Arn}
          OnFailure: {Type: SQS, Destination: !GetAtt Failed.Arn}
      DeadLetterQueue: {Type: SQS, TargetArn: !GetAtt Dead.Arn}
  Done:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: done
      Code: {ZipFile: "def handler(event, context):\\n    return 'done'\\n"}
      Handler: index.handler
      Runtime: python3.11
  DoneConfig:
    Type: AWS::Lambda::EventInvokeConfig
    Properties:
      FunctionName: !Ref Done
      Qualifier: $LATEST
      MaximumRetryAttempts: 1
  Failed: {Type: AWS::SQS::Queue}
  Dead: {Type: AWS::SQS::Queue}
"""


def specs_of(folder: Path, text: str) -> tuple[list[FunctionSpec], list[str]]:
    (folder / "template.yaml").write_text(text)
    return function_specs(load_template(folder / "template.yaml"))


def test_asynchronous_settings_concurrency_and_environment(tmp_path: Path) -> None:
    specs, notes = specs_of(tmp_path, ASYNC)
    worker, done = specs
    assert worker.asynchronous == EventInvokeConfig(
        maximum_retry_attempts=0,
        maximum_event_age_s=120,
        on_success="arn:aws:lambda:us-east-1:123456789012:function:done",
        on_failure="arn:aws:sqs:us-east-1:123456789012:lambdabox-Failed",
        dead_letter="arn:aws:sqs:us-east-1:123456789012:lambdabox-Dead",
    )
    assert (worker.timeout_s, worker.memory_mb, worker.architecture) == (30, 512, "arm64")
    assert worker.environment == {"FLAG": "true", "COUNT": "3", "NAME": "x"}
    assert worker.reserved_concurrency == 0
    assert any("ReservedConcurrentExecutions 0" in note for note in notes)
    assert done.asynchronous.maximum_retry_attempts == 1  # from AWS::Lambda::EventInvokeConfig
    assert done.inline_code is not None
    assert (done.timeout_s, done.memory_mb) == (3, 128)  # the service's defaults
    assert choose_mode(specs, None) == "process"


BAD = {
    "s3 code": (
        "      CodeUri: {Bucket: b, Key: k}\n",
        "Resources.F.Properties.CodeUri: points at S3, which lambdabox does not download; "
        "set CodeUri to the local code folder or .zip (relative to the template)",
    ),
    "retries out of range": (
        "      EventInvokeConfig: {MaximumRetryAttempts: 5}\n",
        "Resources.F.Properties.EventInvokeConfig.MaximumRetryAttempts: 5 is not a whole "
        "number in 0..2",
    ),
    "memory too small": ("      MemorySize: 64\n", "Properties.MemorySize: 64 is not"),
    "environment not text": (
        "      Environment: {Variables: {A: [1, 2]}}\n",
        "Resources.F.Properties.Environment.Variables.A: is a list, not a string",
    ),
    "image without source": (
        "      PackageType: Image\n",
        "Resources.F.Properties.ImageUri: an Image function needs ImageUri or Metadata",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_function_properties_name_the_fix(tmp_path: Path, case: str) -> None:
    extra, expected = BAD[case]
    head = "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n"
    base = "      Handler: app.handler\n      Runtime: python3.11\n"
    with pytest.raises(FunctionSpecError) as caught:
        specs_of(tmp_path, head + base + extra)
    assert expected in str(caught.value)


def test_zip_and_inline_code_run_in_process_mode(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "fn.zip", "w") as archive:
        archive.writestr("lib/zipped.py", "def handler(event, context):\n    return 'zipped'\n")
    (tmp_path / "template.yaml").write_text(
        "Resources:\n"
        "  Zipped:\n    Type: AWS::Lambda::Function\n    Properties:\n"
        "      Code: fn.zip\n      Handler: lib/zipped.handler\n      Runtime: python3.11\n"
        "  Inline:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        "      InlineCode: \"def handler(event, context):\\n    return 'inline'\\n\"\n"
        "      Handler: index.handler\n      Runtime: python3.11\n"
    )
    config = AppConfig(template=tmp_path / "template.yaml", port=free_port(), watch=False)

    async def scenario() -> list[bytes]:
        app = Application(config)
        await app.start()
        try:
            answers = [await app.invoker.invoke(fn, b"{}") for fn in ("Zipped", "Inline")]
            return [answer.outcome.body for answer in answers]
        finally:
            await app.close()

    assert asyncio.run(scenario()) == [b'"zipped"', b'"inline"']


def test_process_mode_refuses_other_runtimes(tmp_path: Path) -> None:
    (tmp_path / "template.yaml").write_text(
        "Resources:\n  Node:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        "      Handler: index.handler\n      Runtime: nodejs20.x\n"
    )
    config = AppConfig(
        template=tmp_path / "template.yaml", port=free_port(), watch=False, mode="process"
    )

    async def scenario() -> None:
        await Application(config).start()

    with pytest.raises(AppError, match=r"Runtime nodejs20\.x cannot run in process mode"):
        asyncio.run(scenario())
