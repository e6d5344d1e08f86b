"""The fault-injection soak in its 60 s form (``make soak`` runs 3 minutes).

Process mode only: the container mode needs an image of the soak's function (a
mmdebstrap build of a minute or two on a fresh machine) and a container start per
environment and fault, which would make ``make test`` much longer; ``make soak``
runs both modes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_a_minute_of_soak_with_faults_keeps_every_promise() -> None:
    env = dict(os.environ, SOAK_S="60", SOAK_CALLERS="12", SOAK_MODES="process")
    done = subprocess.run(
        [sys.executable, "-m", "soak"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    ledger = done.stdout
    print(ledger)  # with -s, every run's ledger is on record, not just a failed one's
    assert done.returncode == 0, done.stdout + done.stderr
    assert "soak: passed" in ledger
    for row in ("sync       200 ok", "event      ran once", "SIGKILL runtime", "restart emulator"):
        assert row in ledger, ledger
