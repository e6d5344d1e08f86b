"""`make demo` as a test: build the sample image on our base, run it in a container under
the emulator, invoke it with a sample HTTP API event."""

from __future__ import annotations

import json
import subprocess
import sys


def test_demo_end_to_end() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "lambdabox", "demo", "--json"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    doc = json.loads(out.stdout)
    assert doc["image"]["digest"].startswith("sha256:")
    cold, warm = doc["invocations"]
    for invocation in (cold, warm):
        assert invocation["error"] is None
        body = json.loads(invocation["payload"]["body"])
        assert body["message"] == "Hello, lambdabox!"
        assert body["day"] == "Friday"  # parsed by the dependency (python-dateutil)
    assert "Init Duration" in cold["report"]
    assert "Init Duration" not in warm["report"]
