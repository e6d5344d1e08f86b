"""The fault-injection soak in its 60 s form (``make soak`` runs 3 minutes)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_a_minute_of_soak_with_faults_keeps_every_promise() -> None:
    env = dict(os.environ, SOAK_S="60", SOAK_CALLERS="12")
    done = subprocess.run(
        [sys.executable, "-m", "soak"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    ledger = done.stdout
    assert "soak: passed" in ledger
    for row in ("sync       200 ok", "event      ran once", "SIGKILL runtime", "restart emulator"):
        assert row in ledger, ledger
