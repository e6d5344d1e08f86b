"""A process-mode runtime is held to its memory size, as the service holds it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from lambdabox.emulator.sandbox import confine, memcage
from lambdabox.emulator.sandbox.memcage import CageUnavailable, MemoryCage, limit_data
from lambdabox.testing.emulator import emulator, python_runtime

HOSTILE = Path(__file__).resolve().parents[3] / "scenarios" / "hostile"
MEMORY_MB = 128


def _cage_or_skip() -> MemoryCage:
    try:
        return MemoryCage.create("probe", 64)
    except CageUnavailable as exc:
        pytest.skip(f"no memory cgroup can be made here: {exc}")


def test_allocating_past_the_memory_size_kills_the_runtime() -> None:
    _cage_or_skip().remove()
    with emulator(python_runtime("app.handler"), cwd=HOSTILE, memory_mb=MEMORY_MB) as emu:
        within = emu.invoke({"action": "allocate", "mib": 32}).json()
        assert within == {"allocated": 32 << 20}
        resp = emu.invoke({"action": "allocate", "mib": MEMORY_MB + 64})
        assert resp.headers["X-Amz-Function-Error"] == "Unhandled"
        request_id = resp.headers["x-amzn-RequestId"]
        assert resp.json() == {
            "errorType": "Runtime.ExitError",
            "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: "
            "signal: killed",
        }
        report = emu.report(request_id)
        used = int(re.search(r"Max Memory Used: (\d+) MB", report).group(1))  # type: ignore[union-attr]
        assert f"Memory Size: {MEMORY_MB} MB" in report
        assert MEMORY_MB - 8 <= used <= MEMORY_MB, report
        # The next invocation gets a fresh runtime.
        assert emu.invoke({"after": "oom"}).json()["echo"] == {"after": "oom"}


def test_a_cage_holds_its_children_and_goes_away() -> None:
    cage = _cage_or_skip()
    try:
        child = subprocess.Popen(
            [sys.executable, "-c", "import time; time.sleep(30)"], start_new_session=True
        )
        cage.admit(child.pid)
        assert cage.procs() == [child.pid]
    finally:
        cage.remove()  # kills what is left in it
    assert child.wait(10) == -9
    assert not cage.path.exists()


def test_the_rlimit_fallback_makes_allocation_fail() -> None:
    script = "import sys; sys.stdin.readline(); bytearray(256 << 20)"
    with subprocess.Popen(
        [sys.executable, "-c", script], stdin=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as child:
        assert child.stdin is not None
        assert child.stderr is not None
        limit_data(child.pid, 128)
        child.stdin.write("go\n")
        child.stdin.close()
        assert child.wait(30) == 1
        assert "MemoryError" in child.stderr.read()


def test_cages_left_by_a_killed_emulator_are_swept(monkeypatch: pytest.MonkeyPatch) -> None:
    probe = _cage_or_skip()
    probe.remove()
    stale = probe.path.parent / "lambdabox-4194999-0-1"  # above any pid_max: never running
    stale.mkdir()
    monkeypatch.setattr(memcage, "_swept", set())
    MemoryCage.create("again", 64).remove()
    assert not stale.exists()


def test_without_a_cgroup_the_rlimit_makes_the_function_fail(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    def refused(cls: type[MemoryCage], label: str, memory_mb: int) -> MemoryCage:
        raise CageUnavailable("cannot create /sys/fs/cgroup/x: Permission denied")  # not root

    monkeypatch.setattr(MemoryCage, "create", classmethod(refused))
    monkeypatch.setattr(confine, "_FAILED", [])
    with emulator(
        python_runtime("app.handler"), cwd=HOSTILE, memory_mb=MEMORY_MB, max_concurrency=2
    ) as emu:
        resp = emu.invoke({"action": "allocate", "mib": MEMORY_MB + 64})
        assert resp.headers["X-Amz-Function-Error"] == "Unhandled"
        assert resp.json()["errorType"] == "MemoryError"
        assert emu.invoke({"still": "up"}).json()["echo"] == {"still": "up"}
    warnings = [line for line in capfd.readouterr().err.splitlines() if "RLIMIT_DATA" in line]
    assert len(warnings) == 1, warnings
    assert "run the emulator as root" in warnings[0]
