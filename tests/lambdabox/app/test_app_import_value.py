"""`lambdabox up --import-value EXPORT=VALUE`: the value reaches the function; a missing
export used by a function stops the start naming the flag; a malformed flag is a usage error."""

from __future__ import annotations

from pathlib import Path

import pytest

from lambdabox.testing.up import UpLauncher

TEMPLATE = """\
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.11
      Environment:
        Variables:
          GREETING: !ImportValue shared-Greeting
"""
HANDLER = "import os\n\n\ndef handler(event, context):\n    return os.environ['GREETING']\n"


@pytest.fixture
def app(tmp_path: Path) -> Path:
    folder = tmp_path / "app"
    (folder / "src").mkdir(parents=True)
    (folder / "src" / "app.py").write_text(HANDLER)
    (folder / "template.yaml").write_text(TEMPLATE)
    return folder


def test_import_value_reaches_the_function(app: Path, tmp_path: Path) -> None:
    with UpLauncher(tmp_path) as launcher:
        up = launcher.start("--import-value", "shared-Greeting=hi=there", cwd=app)
        assert up.invoke("Fn") == "hi=there"
        assert up.stop() == 0


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        ((), 1, "!ImportValue 'shared-Greeting' names another stack's export, which has no "
                "value here; pass its value: lambdabox up --import-value shared-Greeting=VALUE"),
        (("--import-value", "shared-Greeting"), 2, "--import-value 'shared-Greeting': write "
                                                   "EXPORT=VALUE"),
    ],
)  # fmt: skip
def test_missing_or_malformed_import_value(
    app: Path, tmp_path: Path, args: tuple[str, ...], status: int, message: str
) -> None:
    with UpLauncher(tmp_path) as launcher:
        up = launcher.start(*args, cwd=app, listing=False)
        assert up.proc.wait(60) == status
        err = up.stderr()
    assert message in err
    assert "Traceback" not in err
