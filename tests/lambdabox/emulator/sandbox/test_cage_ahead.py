"""A runtime started ahead (before the emulator's imports) is caged while the emulator
imports itself, and held to its memory size as a runtime started later is."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from lambdabox.emulator.sandbox.memcage import CageUnavailable, MemoryCage
from lambdabox.testing.processes import emulate_command, free_port

HOSTILE = Path(__file__).resolve().parents[3] / "scenarios" / "hostile"
INVOKE = "/2015-03-31/functions/function/invocations"
MEMORY_MB = 128


def _cgroup_of(pid: int) -> str:
    for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if "memory" in controllers.split(",") or controllers == "":
            return path
    return ""


def test_a_runtime_started_ahead_is_caged_and_killed_past_its_memory_size() -> None:
    try:
        MemoryCage.create("probe", 64).remove()
    except CageUnavailable as exc:
        pytest.skip(f"no memory cgroup can be made here: {exc}")
    port = free_port()
    runtime = [sys.executable, "-m", "runtime_interface", "app.handler"]
    command = emulate_command(port, runtime, "--init", "eager", "--memory-size", str(MEMORY_MB))
    proc = subprocess.Popen(command, cwd=HOSTILE, stderr=subprocess.PIPE)
    try:
        assert proc.stderr is not None
        for line in proc.stderr:  # bound and serving from here on
            if b"Invoke API on" in line:
                break
        url = f"http://127.0.0.1:{port}{INVOKE}"
        first = requests.post(url, json={"action": "allocate", "mib": 16}, timeout=30)
        assert first.json() == {"allocated": 16 << 20}
        pid = requests.post(url, json={"a": 1}, timeout=30).json()["pid"]
        cage = _cgroup_of(pid)
        assert f"lambdabox-{proc.pid}-0-" in cage, cage  # the start-ahead's cage
        killed = requests.post(url, json={"action": "allocate", "mib": MEMORY_MB + 64}, timeout=30)
        assert killed.json()["errorType"] == "Runtime.ExitError"
        assert killed.json()["errorMessage"].endswith("signal: killed")
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert b"RLIMIT_DATA" not in err, err
    assert not list(Path("/sys/fs/cgroup").glob(f"**/lambdabox-{proc.pid}-*"))
