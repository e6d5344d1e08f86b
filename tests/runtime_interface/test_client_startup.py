"""The client's start-up: what it imports before the first /next, and what it leaves
to the garbage collector once it runs (real processes against the strict Runtime API)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from lambdabox.testing import RuntimeAPIServer
from lambdabox.testing.runtime_process import runtime_env


def test_error_and_large_payload_modules_load_on_first_use() -> None:
    from runtime_interface import _loop, _memory

    assert _loop.LARGE_PAYLOAD == _memory.LARGE
    code = (
        "import sys, runtime_interface.__main__; "
        "print(','.join(m for m in ('runtime_interface._faults', 'runtime_interface._memory', "
        "'ctypes', 'traceback') if m in sys.modules))"
    )
    root = str(Path(__file__).resolve().parents[2])
    env = {"PYTHONPATH": root, "PATH": os.environ.get("PATH", "")}
    out = subprocess.run(
        [sys.executable, "-S", "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert out.stdout.strip() == ""


GC_APP = """
import gc

MARK = ["created while the handler's module is imported"]


def handler(event, context):
    return {
        "enabled": gc.isenabled(),
        "frozen": gc.get_freeze_count(),
        "mark_collectable": any(o is MARK for o in gc.get_objects()),
    }
"""


def test_start_up_objects_are_frozen_and_the_handlers_are_not(
    api: RuntimeAPIServer, tmp_path: Path
) -> None:
    (tmp_path / "app.py").write_text(GC_APP)
    proc = subprocess.Popen(
        [sys.executable, "-m", "runtime_interface", "app.handler"],
        cwd=tmp_path,
        env=runtime_env(api.address),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        out = api.enqueue(b"{}").wait(30)
    finally:
        proc.kill()
        proc.wait()
    state = out.json()
    assert state["enabled"] is True
    assert state["frozen"] > 1000  # the interpreter's, runpy's and the client's objects
    assert state["mark_collectable"] is True  # the handler module's objects stay collectable
