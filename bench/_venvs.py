"""Bench virtualenvs: the anchors from PyPI (awslambdaric; aws-sam-cli, which ships AWS's
aws-lambda-rie binaries), and lambdabox installed the way a user or an image has it."""

from __future__ import annotations

import hashlib
import platform
from pathlib import Path

from lambdabox.testing.processes import make_venv

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / ".bench"


def _source_hash() -> str:
    digest = hashlib.sha256()
    for package in ("runtime_interface", "lambdabox"):
        for path in sorted((ROOT / package).rglob("*.py")):
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _venv(name: str, requirement: str, version: str = "") -> Path:
    return make_venv(BENCH_DIR / name, requirement, version)


def awslambdaric_python() -> Path:
    return _venv("awslambdaric", "awslambdaric")


def lambdabox_python() -> Path:
    # A regular (non-editable) install: an editable install adds import hooks to start-up.
    return _venv("lambdabox", f"{ROOT}[uvloop]", _source_hash())  # both event loops


def sam_python() -> Path:
    """aws-sam-cli from PyPI (its `sam` command; boto3 comes with it)."""
    return _venv("sam", "aws-sam-cli")


def rie_binary() -> Path:
    """AWS's aws-lambda-rie for this machine, as shipped inside the aws-sam-cli wheel."""
    arch = "arm64" if platform.machine() in ("aarch64", "arm64") else "x86_64"
    site = next((sam_python().parent.parent / "lib").glob("python3*/site-packages"))
    binary = site / "samcli" / "local" / "rapid" / f"aws-lambda-rie-{arch}"
    if not binary.exists():
        raise RuntimeError(f"{binary} is missing: delete {BENCH_DIR / 'sam'} to reinstall")
    return binary


def lambdabox_command() -> Path:
    """The `lambdabox` console script of the regular (non-editable) install."""
    return lambdabox_python().parent / "lambdabox"
