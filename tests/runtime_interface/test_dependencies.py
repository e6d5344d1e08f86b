"""The in-image client imports only the standard library, and reads no env at import."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parents[2])
# -S: no site, so an editable install's import hooks do not count against the client.
PY = [sys.executable, "-S"]
ENV = {"PYTHONPATH": ROOT, "PATH": os.environ.get("PATH", "")}

CHECK_STDLIB = """
import sys
before = set(sys.modules)
import runtime_interface, runtime_interface.__main__, runtime_interface.snapstart
from runtime_interface import _logsetup, _workers
loaded = {name.split('.')[0] for name in set(sys.modules) - before}
foreign = sorted(n for n in loaded if n not in sys.stdlib_module_names and n != 'runtime_interface')
print(','.join(foreign))
"""

CHECK_ENV = """
import os
class Spy(dict):
    reads = []
    def __getitem__(self, k): Spy.reads.append(k); return super().__getitem__(k)
    def get(self, k, d=None): Spy.reads.append(k); return super().get(k, d)
    def __contains__(self, k): Spy.reads.append(k); return super().__contains__(k)
os.environ = Spy(os.environ)
import runtime_interface, runtime_interface.__main__, runtime_interface.snapstart
from runtime_interface import _logsetup, _workers
print(','.join(Spy.reads))
"""


def test_client_imports_only_stdlib() -> None:
    out = subprocess.run(
        [*PY, "-c", CHECK_STDLIB], capture_output=True, text=True, check=True, env=ENV
    )
    assert out.stdout.strip() == ""


def test_no_environment_reads_at_import() -> None:
    out = subprocess.run(
        [*PY, "-c", CHECK_ENV], capture_output=True, text=True, check=True, env=ENV
    )
    assert out.stdout.strip() == ""


def test_cheap_imports_stay_lazy() -> None:
    code = (
        "import sys, runtime_interface.__main__; "
        "print(','.join(m for m in ('json','logging','http.client','socket','asyncio',"
        "'traceback','typing','dataclasses','re') if m in sys.modules))"
    )
    out = subprocess.run([*PY, "-c", code], capture_output=True, text=True, check=True, env=ENV)
    assert out.stdout.strip() == ""
