"""The durable journal: a real `lambdabox emulate --state-dir` gets Event invocations, is
killed (SIGKILL) or stopped (SIGTERM with a short drain) mid-way, restarted on the same
folder, and every accepted event runs; none runs twice unless it was cut off mid-attempt
(then the interrupted attempt counts as failed and its retry is due)."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

HANDLER = """
import os, time

def handler(event, context):
    with open(os.environ["COUNT_LOG"], "a") as f:
        f.write(f"start {context.aws_request_id}\\n")
    time.sleep(float(os.environ["SLEEP_S"]))
    with open(os.environ["COUNT_LOG"], "a") as f:
        f.write(f"end {context.aws_request_id}\\n")
    return {"done": event["n"]}
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Emulate:
    """`lambdabox emulate` as its own process group (so SIGKILL takes its runtimes too)."""

    def __init__(self, tmp: Path, state: Path, *extra: str, sleep_s: float = 0.2) -> None:
        self.tmp, self.state, self.extra, self.sleep_s = tmp, state, extra, sleep_s
        self.log = tmp / "count.log"
        self.port = _free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/2015-03-31/functions/function/invocations"

    def start(self, listening: bool = False) -> None:
        command = [
            sys.executable,
            "-m",
            "lambdabox",
            "emulate",
            "--listen",
            f"127.0.0.1:{self.port}",
            "--runtime-api-address",
            f"127.0.0.1:{_free_port()}",
            "--state-dir",
            str(self.state),
            "--retry-delay-scale",
            "0.01",
            "--log-level",
            "error",
            *self.extra,
            "--",
            sys.executable,
            "-m",
            "runtime_interface",
            "count.handler",
        ]
        env = {**os.environ, "COUNT_LOG": str(self.log), "SLEEP_S": str(self.sleep_s)}
        self.proc = subprocess.Popen(
            command,
            cwd=self.tmp,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        # Until it answers (unless `listening` suffices): it binds before its imports.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if listening:
                    socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                    return
                requests.get(f"http://127.0.0.1:{self.port}/openapi.json", timeout=5)
                return
            except (OSError, requests.RequestException):
                time.sleep(0.05)
        raise AssertionError("lambdabox emulate did not start serving")

    def send_events(self, count: int) -> list[str]:
        ids = []
        with requests.Session() as session:
            for n in range(count):
                answer = session.post(
                    self.url, json={"n": n}, headers={"X-Amz-Invocation-Type": "Event"}, timeout=10
                )
                assert answer.status_code == 202
                ids.append(answer.headers["x-amzn-RequestId"])
        return ids

    def lines(self) -> list[tuple[str, str]]:
        if not self.log.exists():
            return []
        return [
            (kind, request_id)
            for kind, _, request_id in (
                line.partition(" ") for line in self.log.read_text().splitlines() if line
            )
        ]

    def wait_until(self, test: object, timeout: float = 60.0) -> None:
        assert callable(test)
        deadline = time.monotonic() + timeout
        while not test():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; log: {self.lines()}")
            time.sleep(0.05)

    def kill(self) -> None:
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def terminate(self) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)


@pytest.fixture
def emulate(tmp_path: Path) -> Iterator[Emulate]:
    (tmp_path / "count.py").write_text(HANDLER)
    made = Emulate(tmp_path, tmp_path / "state")
    yield made
    made.stop()


def _journalled(state: Path) -> int:
    with sqlite3.connect(state / "asyncinvoke" / "test_function.sqlite3") as db:
        return int(db.execute("SELECT COUNT(*) FROM events").fetchone()[0])


def test_sigkill_then_restart_runs_every_accepted_event(emulate: Emulate) -> None:
    emulate.extra = ("--max-concurrency", "2")
    emulate.start()
    ids = emulate.send_events(20)
    emulate.wait_until(lambda: sum(kind == "end" for kind, _ in emulate.lines()) >= 3)
    emulate.kill()
    before = emulate.lines()
    started_before = {i for kind, i in before if kind == "start"}
    assert _journalled(emulate.state) > 0  # what had not finished is on disk

    emulate.start()
    emulate.wait_until(lambda: {i for kind, i in emulate.lines() if kind == "end"} >= set(ids))
    assert emulate.terminate() == 0
    starts = Counter(i for kind, i in emulate.lines() if kind == "start")
    assert set(starts) == set(ids)  # nothing lost, nothing invented
    twice = {i for i, n in starts.items() if n > 1}
    # Only events cut off by the kill ran again (their retry was due), at most one per
    # environment; none ran more than twice.
    assert twice <= started_before
    assert len(twice) <= 2
    assert max(starts.values()) <= 2
    assert _journalled(emulate.state) == 0


def test_sigterm_drains_briefly_and_the_rest_resumes(emulate: Emulate) -> None:
    emulate.extra = ("--max-concurrency", "1", "--drain-timeout", "0.5")
    emulate.sleep_s = 0.3
    emulate.start()
    ids = emulate.send_events(12)
    emulate.wait_until(lambda: any(kind == "end" for kind, _ in emulate.lines()))
    assert emulate.terminate() == 0  # graceful: exit status 0 after a bounded drain
    left = _journalled(emulate.state)
    assert 0 < left < 12
    ended = {i for kind, i in emulate.lines() if kind == "end"}
    assert len(ended) + left >= 12

    emulate.start()
    emulate.wait_until(lambda: {i for kind, i in emulate.lines() if kind == "end"} >= set(ids))
    assert emulate.terminate() == 0
    starts = Counter(i for kind, i in emulate.lines() if kind == "start")
    assert set(starts) == set(ids)
    assert sum(n > 1 for n in starts.values()) <= 1  # at most the one cut off by the drain
    assert _journalled(emulate.state) == 0


@pytest.mark.parametrize("listening", [False, True], ids=["serving", "just-listening"])
def test_a_second_emulator_on_the_same_state_dir_is_refused(
    emulate: Emulate, listening: bool
) -> None:
    # Listening is enough: the first one locked the folder before it bound its port.
    emulate.start(listening)
    other = subprocess.run(
        [
            sys.executable,
            "-m",
            "lambdabox",
            "emulate",
            "--listen",
            f"127.0.0.1:{_free_port()}",
            "--state-dir",
            str(emulate.state),
            "--",
            sys.executable,
            "-m",
            "runtime_interface",
            "count.handler",
        ],
        cwd=emulate.tmp,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert other.returncode == 1
    assert "in use by another running emulator" in other.stderr
    assert "--state-dir" in other.stderr
    served = requests.get(f"http://127.0.0.1:{emulate.port}/openapi.json", timeout=30)
    assert served.status_code == 200  # the first one keeps serving


def test_bad_options_name_the_fix(tmp_path: Path) -> None:
    def emulate(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "lambdabox", "emulate", *args, "--", "true", "x.handler"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )

    scale = emulate("--retry-delay-scale", "0")
    assert scale.returncode == 2
    assert "--retry-delay-scale: must be a number above 0" in scale.stderr
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    state = emulate("--listen", f"127.0.0.1:{_free_port()}", "--state-dir", str(blocked))
    assert state.returncode == 1
    assert "cannot open the asynchronous invocation journal" in state.stderr
    assert "give --state-dir a folder you can write" in state.stderr
    assert "Traceback" not in state.stderr
