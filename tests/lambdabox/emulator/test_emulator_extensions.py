"""External extensions: Extensions API events and Telemetry API delivery."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import requests

from lambdabox.testing.emulator import emulator, python_runtime

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def _records(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def _wait_for(path: Path, predicate: Any, timeout: float = 10) -> list[dict[str, Any]]:
    waiter = threading.Event()
    for _ in range(int(timeout / 0.05)):
        records = _records(path)
        if predicate(records):
            return records
        waiter.wait(0.05)
    raise AssertionError(f"condition not met; records: {_records(path)}")


def test_extension_lifecycle_and_telemetry(tmp_path: Path) -> None:
    out = tmp_path / "probe.jsonl"
    with emulator(
        python_runtime("app.handler"),
        extensions_dir=SCENARIOS / "extensions",
        env={"EXT_OUT": str(out)},
        runtime_api_peers="any",  # the test itself calls the Extensions API below
    ) as emu:
        resp = emu.invoke({"with": "extension"})
        assert resp.json()["echo"] == {"with": "extension"}
        request_id = resp.headers["x-amzn-RequestId"]
        records = _wait_for(
            out,
            lambda rs: any(
                r["kind"] == "telemetry" and r["value"]["type"] == "platform.report" for r in rs
            ),
        )
        registered = next(r["value"] for r in records if r["kind"] == "registered")
        assert registered["functionName"] == "scenario"
        assert registered["handler"] == "app.handler"
        assert next(r["value"] for r in records if r["kind"] == "subscribed") == 200
        invoke = next(r["value"] for r in records if r["kind"] == "event")
        assert invoke["eventType"] == "INVOKE"
        assert invoke["requestId"] == request_id
        assert invoke["invokedFunctionArn"].endswith(":function:scenario")
        assert invoke["tracing"]["type"] == "X-Amzn-Trace-Id"
        types = [r["value"]["type"] for r in records if r["kind"] == "telemetry"]
        for expected in (
            "platform.initStart",
            "platform.initRuntimeDone",
            "platform.initReport",
            "platform.start",
            "platform.runtimeDone",
            "platform.report",
            "function",
        ):
            assert expected in types, types
        report = next(
            r["value"]["record"]
            for r in records
            if r["kind"] == "telemetry" and r["value"]["type"] == "platform.report"
        )
        assert report["requestId"] == request_id
        assert report["metrics"]["maxMemoryUsedMB"] > 0
        assert "initDurationMs" in report["metrics"]
        function_lines = [
            r["value"]["record"]
            for r in records
            if r["kind"] == "telemetry" and r["value"]["type"] == "function"
        ]
        assert any("handled" in line for line in function_lines)
        # Registration is closed once init is done.
        late = requests.post(
            f"http://{emu.emulator.runtime_api_address}/2020-01-01/extension/register",
            json={"events": ["INVOKE"]},
            headers={"Lambda-Extension-Name": "late"},
            timeout=5,
        )
        assert late.status_code == 403
        assert late.json()["errorType"] == "Extension.RegistrationClosed"
    shutdown = [r["value"] for r in _records(out) if r["kind"] == "event"][-1]
    assert shutdown["eventType"] == "SHUTDOWN"
    assert shutdown["shutdownReason"] == "spindown"


def test_extensions_api_errors() -> None:
    # The test itself calls the Extensions API: any process may.
    with emulator(python_runtime("app.handler"), runtime_api_peers="any") as emu:
        base = f"http://{emu.emulator.runtime_api_address}/2020-01-01/extension"
        missing = requests.get(f"{base}/event/next", timeout=5)
        assert missing.status_code == 403
        assert missing.json()["errorType"] == "Extension.MissingExtensionIdentifier"
        unknown = requests.get(
            f"{base}/event/next", timeout=5, headers={"Lambda-Extension-Identifier": "nope"}
        )
        assert unknown.json()["errorType"] == "Extension.InvalidExtensionIdentifier"
