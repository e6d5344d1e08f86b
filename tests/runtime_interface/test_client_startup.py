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
        "'__future__', 'importlib', 'ctypes', 'traceback') if m in sys.modules))"
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


HANDLER_IMPORT = """
import sys
sys.path.insert(0, sys.argv[1])
from runtime_interface._faults import from_exception
from runtime_interface._handler import load_handler
load_handler("fine.handler")
print("importlib" in sys.modules)
try:
    load_handler("broken.handler")
except KeyError as exc:
    for entry in from_exception(exc).stack_trace:
        print(entry.splitlines()[0])
"""


def test_handler_import_skips_importlib_yet_errors_show_its_frame(tmp_path: Path) -> None:
    (tmp_path / "fine.py").write_text("def handler(event, context):\n    return event\n")
    (tmp_path / "broken.py").write_text("VALUE = {}['missing']\n")
    root = str(Path(__file__).resolve().parents[2])
    env = {"PYTHONPATH": root, "PATH": os.environ.get("PATH", "")}
    out = subprocess.run(
        [sys.executable, "-S", "-c", HANDLER_IMPORT, str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    import importlib

    happy, *trace = out.stdout.splitlines()
    assert happy == "False"  # the happy path did not import importlib
    # The failure's trace goes through importlib.import_module, as awslambdaric's does:
    # the caller (here the -c script, then the client's own frames), import_module, the
    # import system's frames, the module.
    at = next(i for i, line in enumerate(trace) if importlib.__file__ in line)
    assert trace[at].startswith(f'  File "{importlib.__file__}", line ')
    assert trace[at].endswith(", in import_module")
    assert trace[at - 1].endswith(", in import_module")  # the client's own, in _handler.py
    assert "runtime_interface" in trace[at - 1]
    assert trace[at + 1].endswith(", in _gcd_import")
    assert trace[-1] == f'  File "{tmp_path / "broken.py"}", line 1, in <module>'
