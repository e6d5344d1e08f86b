"""The client's scenario folders, run through the emulator's Invoke API instead of the
strict test server: same runtime, same handlers, the caller's view."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from lambdabox.testing.emulator import emulator, python_runtime

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def test_basic_warm_state() -> None:
    with emulator(python_runtime("app.handler"), cwd=SCENARIOS / "basic") as emu:
        counts = [emu.invoke({"i": i}).json()["count"] for i in range(3)]
        assert counts == [1, 2, 3]


def test_context_fields_from_the_invoke_api() -> None:
    client_context = {
        "custom": {"k": "v"},
        "env": {"e": 1},
        "client": {"installation_id": "i-1", "app_title": "t"},
    }
    header = base64.b64encode(json.dumps(client_context).encode()).decode()
    with emulator(python_runtime("app.handler"), cwd=SCENARIOS / "context") as emu:
        got = emu.invoke(
            {}, headers={"X-Amz-Client-Context": header, "X-Amz-Tenant-Id": "tenant-9"}
        ).json()
    assert got["function_name"] == "scenario"
    assert got["memory_limit_in_mb"] == "256"
    assert got["tenant_id"] == "tenant-9"
    assert got["client_context"]["custom"] == {"k": "v"}
    assert got["client_context"]["client"]["installation_id"] == "i-1"
    assert got["log_group_name"] == "/aws/lambda/scenario"


def test_marshalling_through_the_emulator() -> None:
    with emulator(python_runtime("app.handler"), cwd=SCENARIOS / "marshal") as emu:
        raw = emu.invoke(data=b"\x01raw", headers={"Content-Type": "application/octet-stream"})
        assert raw.json() == {"type": "bytes", "value": "\x01raw"}
        binary = emu.invoke({"kind": "bytes"})
        assert binary.content == b"\x00\x01binary\xff"
        assert binary.headers["Content-Type"] == "application/unknown"
        assert emu.invoke({"kind": "decimal"}).content == (
            b'{"price": 19.990, "nan": NaN, "list": [1E+2]}'
        )
        text = emu.invoke({"kind": "unicode", "text": "héllo ✓"})
        assert text.json()["text"] == "héllo ✓"  # escaped or UTF-8, as the Python version has it
        bad = emu.invoke(data=b"{oops")
        assert bad.json()["errorType"] == "Runtime.UnmarshalError"


def test_errors_and_init_errors() -> None:
    with emulator(python_runtime("app.handler"), cwd=SCENARIOS / "errors") as emu:
        err = emu.invoke({"fail": True}).json()
        assert (err["errorType"], err["errorMessage"]) == ("CustomError", "something went wrong: ü")
    with emulator(python_runtime("syntax.handler"), cwd=SCENARIOS / "init_errors") as emu:
        assert emu.invoke({}).json()["errorType"] == "Runtime.UserCodeSyntaxError"


def test_async_and_logging(tmp_path: Path) -> None:
    with emulator(python_runtime("app.handler"), cwd=SCENARIOS / "async_handler") as emu:
        assert [emu.invoke({}).json()["n"] for _ in range(2)] == [1, 2]
    env = {"AWS_LAMBDA_LOG_FORMAT": "JSON", "AWS_LAMBDA_LOG_LEVEL": "INFO"}
    with emulator(python_runtime("app.handler"), cwd=SCENARIOS / "logging_text", env=env) as emu:
        resp = emu.invoke({"n": 5}, headers={"X-Amz-Log-Type": "Tail"})
        tail = base64.b64decode(resp.headers["X-Amz-Log-Result"]).decode()
        records = [json.loads(line) for line in tail.splitlines() if line.startswith("{")]
        info = next(r for r in records if r["message"] == "info 5")
        assert info["requestId"] == resp.headers["x-amzn-RequestId"]
        assert info["level"] == "INFO"
