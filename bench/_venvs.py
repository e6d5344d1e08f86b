"""Bench virtualenvs: awslambdaric from PyPI, and lambdabox installed the way an image has it."""

from __future__ import annotations

import hashlib
from pathlib import Path

from lambdabox.testing.processes import make_venv

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / ".bench"


def _source_hash() -> str:
    digest = hashlib.sha256()
    for path in sorted((ROOT / "runtime_interface").rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _venv(name: str, requirement: str, version: str = "") -> Path:
    return make_venv(BENCH_DIR / name, requirement, version)


def awslambdaric_python() -> Path:
    return _venv("awslambdaric", "awslambdaric")


def lambdabox_python() -> Path:
    # A regular (non-editable) install: an editable install adds import hooks to start-up.
    return _venv("lambdabox", str(ROOT), _source_hash())
