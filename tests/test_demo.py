"""`make demo` as a test: the sample function under the emulator answers twice."""

from __future__ import annotations

import json
import subprocess
import sys


def test_demo_json() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "lambdabox", "demo", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    doc = json.loads(out.stdout)
    first, second = doc["invocations"]
    assert first["payload"]["message"] == "Hello, lambdabox!"
    assert second["payload"]["message"] == "Hello, again!"
    assert first["functionError"] is None
    assert "Init Duration" in first["report"]
    assert "Init Duration" not in second["report"]
