"""The shared start-and-wait helper of local services, driven with real child processes."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from lambdabox.services._process import ServiceError, spawn, terminate, wait_ready


def _python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def test_spawn_appends_output_to_the_log_and_runs_in_a_session_of_its_own(
    tmp_path: Path,
) -> None:
    log = tmp_path / "out.log"
    log.write_bytes(b"before\n")
    code = "import os, sys; print(os.getsid(0)); print('err', file=sys.stderr)"
    proc = spawn(_python(code), env=os.environ, log=log, cwd=tmp_path)
    assert proc.wait(timeout=30) == 0
    lines = log.read_text().splitlines()
    assert lines[0] == "before"
    assert int(lines[1]) == proc.pid  # the child leads its own session
    assert lines[2] == "err"


def test_wait_ready_returns_once_the_probe_answers(tmp_path: Path) -> None:
    flag = tmp_path / "ready"
    code = f"import pathlib, time; pathlib.Path({str(flag)!r}).touch(); time.sleep(60)"
    proc = spawn(_python(code), env=os.environ)
    try:
        wait_ready(
            proc, flag.exists, timeout_s=30, interval_s=0.02,
            exited=lambda s: f"exited {s}", timed_out="late",
        )  # fmt: skip
        assert proc.poll() is None
    finally:
        terminate(proc, grace_s=5)
    assert proc.returncode is not None


def test_wait_ready_names_the_status_of_a_process_that_exits_on_start() -> None:
    proc = spawn(_python("raise SystemExit(3)"), env=os.environ)
    with pytest.raises(ServiceError, match=r"^exited 3; see why$"):
        wait_ready(
            proc, lambda: False, timeout_s=30, interval_s=0.02,
            exited=lambda s: f"exited {s}; see why", timed_out="late",
        )  # fmt: skip


def test_wait_ready_gives_the_timeout_message_when_never_ready() -> None:
    proc = spawn(_python("import time; time.sleep(60)"), env=os.environ)
    try:
        with pytest.raises(ServiceError, match=r"^not ready within 0\.2 s$"):
            wait_ready(
                proc, lambda: False, timeout_s=0.2, interval_s=0.02,
                exited=lambda s: f"exited {s}", timed_out="not ready within 0.2 s",
            )  # fmt: skip
    finally:
        terminate(proc, grace_s=5)


def test_terminate_kills_a_process_that_ignores_sigterm(tmp_path: Path) -> None:
    flag = tmp_path / "armed"
    code = (
        "import pathlib, signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        f"pathlib.Path({str(flag)!r}).touch(); time.sleep(60)"
    )
    proc = spawn(_python(code), env=os.environ)
    wait_ready(
        proc, flag.exists, timeout_s=30, interval_s=0.02,
        exited=lambda s: f"exited {s}", timed_out="late",
    )  # fmt: skip
    terminate(proc, grace_s=0.3)
    assert proc.returncode == -9
