"""Bench virtualenvs: awslambdaric from PyPI, and lambdabox installed the way an image has it."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / ".bench"


def _source_hash() -> str:
    digest = hashlib.sha256()
    for path in sorted((ROOT / "runtime_interface").rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _venv(name: str, requirement: str, version: str = "") -> Path:
    venv = BENCH_DIR / name
    python = venv / "bin" / "python"
    stamp = venv / ".installed"
    key = f"{requirement} {version}"
    if stamp.exists() and stamp.read_text() == key:
        return python
    print(f"bench: preparing {name} ({requirement})", file=sys.stderr, flush=True)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-cache-dir",
            requirement,
        ],
        check=True,
    )
    # Byte-compile everything, as an image build would, so neither side pays for compiling.
    subprocess.run([str(python), "-m", "compileall", "-q", str(venv / "lib")], check=False)
    stamp.write_text(key)
    return python


def awslambdaric_python() -> Path:
    return _venv("awslambdaric", "awslambdaric")


def lambdabox_python() -> Path:
    # A regular (non-editable) install: an editable install adds import hooks to start-up.
    return _venv("lambdabox", str(ROOT), _source_hash())
