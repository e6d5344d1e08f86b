"""`!ImportValue`: a value given for the export (`Stack.imports`, `--import-value`), an
error naming the flag where a resource run locally uses a missing one, a warning elsewhere."""

from __future__ import annotations

from pathlib import Path

import pytest

from lambdabox.template import TemplateError, load_template
from lambdabox.template.parameters import Stack

TEMPLATE = """\
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.11
      Environment:
        Variables:
          TABLE: !ImportValue shared-TableName
          SUB: !Sub ["${T}-x", {T: !ImportValue shared-TableName}]
  Alarm:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: !ImportValue shared-TopicName
"""


def test_given_exports_resolve(tmp_path: Path) -> None:
    template = load_template(_write(tmp_path), stack=Stack(imports={"shared-TableName": "orders"}))
    env = template.resources["Fn"].properties["Environment"]["Variables"]
    assert env == {"TABLE": "orders", "SUB": "orders-x"}
    # The topic is not run locally: its missing export is a warning naming the flag.
    assert template.resources["Alarm"].properties["TopicName"] == ""
    warnings = "\n".join(template.warnings)
    assert "!ImportValue 'shared-TopicName' resolves to an empty string" in warnings
    assert "--import-value shared-TopicName=VALUE" in warnings


def test_missing_export_used_by_a_function_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(TemplateError) as caught:
        load_template(_write(tmp_path))
    message = str(caught.value)
    assert "Resources.Fn.Properties.Environment.Variables.TABLE" in message
    assert "!ImportValue 'shared-TableName'" in message
    assert "lambdabox up --import-value shared-TableName=VALUE" in message


def _write(tmp_path: Path) -> Path:
    path = tmp_path / "template.yaml"
    path.write_text(TEMPLATE)
    return path
