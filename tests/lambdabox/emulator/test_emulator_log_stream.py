"""Log stream names as the service gives them: `YYYY/MM/DD/[VERSION]` and 32 hex digits, one
per execution environment, the same for its whole life (RIE's placeholder is `$LATEST`)."""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from lambdabox.emulator.config import (
    EmulatorConfig,
    FunctionConfig,
    function_from_environ,
    log_stream_name,
)
from lambdabox.harness import BackgroundEmulator

APP = """\
import os


def handler(event, context):
    if event.get("crash"):
        os._exit(1)
    return {"context": context.log_stream_name, "env": os.environ["AWS_LAMBDA_LOG_STREAM_NAME"]}
"""


def _pattern(version: str) -> re.Pattern[str]:
    day = time.strftime("%Y/%m/%d", time.gmtime())
    return re.compile(re.escape(f"{day}/[{version}]") + "[0-9a-f]{32}")


def test_name_has_the_date_the_version_and_32_hex_digits() -> None:
    assert re.fullmatch(
        r"2026/11/27/\[\$LATEST\][0-9a-f]{32}",
        log_stream_name("$LATEST", 1_795_823_940),  # 23:59Z
    )
    assert re.fullmatch(r"\d{4}/\d\d/\d\d/\[7\][0-9a-f]{32}", log_stream_name("7"))
    assert log_stream_name("$LATEST") != log_stream_name("$LATEST")


def test_a_stream_name_given_in_the_environment_is_kept() -> None:
    assert function_from_environ({}).log_stream == ""  # a new name per environment
    given = {"AWS_LAMBDA_LOG_STREAM_NAME": "mine"}
    assert function_from_environ(given).log_stream == "mine"


@contextmanager
def _emulator(folder: Path, function: FunctionConfig) -> Iterator[BackgroundEmulator]:
    (folder / "app.py").write_text(APP)
    config = EmulatorConfig(
        command=(sys.executable, "-m", "runtime_interface", "app.handler"),
        cwd=str(folder),
        handler="app.handler",
        function=function,
        invoke_port=0,
        runtime_api_port=0,
        extensions_dir=None,
    )
    running = BackgroundEmulator(config).start()
    try:
        yield running
    finally:
        running.stop()


def _streams(url: str) -> dict[str, str]:
    answer = requests.post(url, data=json.dumps({}), timeout=60)
    result: dict[str, str] = answer.json()
    return result


def test_each_environment_has_its_own_stable_name(tmp_path: Path) -> None:
    with _emulator(tmp_path, FunctionConfig(name="streams", version="7")) as emulator:
        first = _streams(emulator.url)
        assert first["context"] == first["env"]
        assert _pattern("7").fullmatch(first["context"]), first
        assert _streams(emulator.url) == first  # the same environment, the same stream
        crashed = requests.post(emulator.url, data=b'{"crash": true}', timeout=60)
        assert crashed.headers.get("X-Amz-Function-Error") == "Unhandled"
        second = _streams(emulator.url)  # a new environment after the crash
        assert _pattern("7").fullmatch(second["context"]), second
        assert second != first


def test_a_configured_name_reaches_the_runtime(tmp_path: Path) -> None:
    function = FunctionConfig(name="streams", log_stream="2026/01/02/[$LATEST]given")
    with _emulator(tmp_path, function) as emulator:
        assert _streams(emulator.url) == {
            "context": "2026/01/02/[$LATEST]given",
            "env": "2026/01/02/[$LATEST]given",
        }
