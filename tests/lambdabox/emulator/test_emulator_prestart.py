"""`lambdabox emulate` starts its runtime before importing itself (eager: at once; lazy:
when the first caller connects) and serves it from there: one runtime, answers as usual."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from lambdabox.testing.processes import emulate_command, free_port

APP = Path(__file__).resolve().parents[2] / "scenarios" / "emulator"
INVOKE = "/2015-03-31/functions/function/invocations"


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        found += [int(c) for c in task.read_text().split()]
    return found


@contextmanager
def _emulate(init: str) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    port = free_port()
    runtime = [sys.executable, "-m", "runtime_interface", "app.handler"]
    command = emulate_command(port, runtime, "--init", init, "--extensions-dir", str(APP / "none"))
    proc = subprocess.Popen(command, cwd=APP, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        yield proc, port
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(20)
        assert proc.stdout is not None
        assert proc.stderr is not None
        proc.stdout.close()
        proc.stderr.close()


def _wait_announced(proc: subprocess.Popen[bytes]) -> None:
    """Until the emulator says where it listens (it serves from then on)."""
    assert proc.stderr is not None
    for line in proc.stderr:
        if b"Invoke API on" in line:
            return
    raise AssertionError("the emulator stopped before it listened")


def _wait_listening(port: int) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/openapi.json", timeout=5)
            return
        except requests.ConnectionError:
            time.sleep(0.05)
    raise AssertionError("the emulator never answered")


def test_eager_start_ahead_serves_one_runtime_with_its_init_duration() -> None:
    with _emulate("eager") as (proc, port):
        _wait_announced(proc)
        answer = requests.post(f"http://127.0.0.1:{port}{INVOKE}", json={"a": 1}, timeout=20)
        assert answer.status_code == 200
        assert answer.json()["echo"] == {"a": 1}
        runtime_pid = answer.json()["pid"]
        assert _children(proc.pid) == [runtime_pid]  # adopted, not started twice
        again = requests.post(f"http://127.0.0.1:{port}{INVOKE}", json={"a": 2}, timeout=20)
        assert again.json()["pid"] == runtime_pid
        proc.send_signal(signal.SIGTERM)
        assert proc.stdout is not None
        log = proc.stdout.read().decode()
    first_report = next(line for line in log.splitlines() if line.startswith("REPORT"))
    assert "Init Duration:" in first_report


def test_lazy_starts_the_runtime_only_once_a_caller_connects() -> None:
    with _emulate("lazy") as (proc, port):
        _wait_listening(port)  # a GET connected: the runtime may start now
        deadline = time.monotonic() + 20
        while not _children(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        started = _children(proc.pid)
        assert len(started) == 1
        answer = requests.post(f"http://127.0.0.1:{port}{INVOKE}", json={"b": 1}, timeout=20)
        assert answer.json() == {"echo": {"b": 1}, "pid": started[0]}


def test_lazy_starts_nothing_before_any_caller() -> None:
    with _emulate("lazy") as (proc, _port):
        _wait_announced(proc)
        time.sleep(0.5)  # time for a runtime started by mistake to show up
        assert _children(proc.pid) == []
