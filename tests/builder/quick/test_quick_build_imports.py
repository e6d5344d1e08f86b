"""The console script decides on the fast path before importing the command line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HEAVY = ("argparse", "dataclasses", "typing", "pathlib", "tarfile", "json", "hashlib", "re")


def test_the_fast_path_imports_almost_nothing(project: Path) -> None:
    script = Path(sys.executable).with_name("lambdabox")
    command = [str(script)] if script.is_file() else ["-m", "lambdabox"]
    argv = [*command, "build", "src", "--handler", "app.handler", "--base", "base"]
    argv += ["--cache", "cache", "--output", "out"]
    first = subprocess.run([sys.executable, *argv], capture_output=True, text=True, check=False)
    assert first.returncode == 0, first.stderr
    (project / "src" / "app.py").write_text("def handler(event, context):\n    return 2\n")
    fast = subprocess.run(
        [sys.executable, "-X", "importtime", *argv], capture_output=True, text=True, check=False
    )
    assert fast.returncode == 0, fast.stderr
    assert "(code-only change: fast path)" in fast.stderr
    imported = {
        line.split("|")[-1].strip()
        for line in fast.stderr.splitlines()
        if line.startswith("import time:")
    }
    assert "builder.quick.build" in imported
    assert not imported & set(HEAVY), sorted(imported & set(HEAVY))
    assert "lambdabox.cli" not in imported
