"""lambdabox SIGKILLed mid-batch, then restarted against the same SQS endpoint: every message
is processed at least once, and none is deleted before its batch succeeded."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from lambdabox.testing.polling import read_jsonl, wait_for
from lambdabox.testing.sqs_app import SqsApp

RUNNER = Path(__file__).parent / "sqs_mapping_runner.py"


@pytest.fixture
def runners() -> Iterator[Callable[..., subprocess.Popen[str]]]:
    procs: list[subprocess.Popen[str]] = []

    def start(*args: str) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            [sys.executable, str(RUNNER), *args],
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
            cwd=RUNNER.parent,
            env={**os.environ, "PYTHONPATH": str(RUNNER.parent)},
        )
        procs.append(proc)
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)
        if proc.stdout:
            proc.stdout.close()


def test_sigkill_mid_batch_then_restart(
    sqs_app: Callable[..., SqsApp], runners: Callable[..., subprocess.Popen[str]]
) -> None:
    # The in-process app only provisions the queue and gives the helper; it never polls.
    app = sqs_app(queue={"VisibilityTimeout": 2}, event={"Enabled": False}, timeout_s=2)
    log = app.folder / "runner-calls.jsonl"
    sent = app.helper.send_many(app.queue, ["sleep:0.15"] * 40)

    first = runners(app.endpoint, app.queue, str(log))

    def mid_batch() -> bool:
        entries = read_jsonl(log)
        ended = sum("end" in e for e in entries)
        return ended >= 2 and sum("start" in e for e in entries) > ended

    wait_for(mid_batch, timeout=30)
    os.kill(first.pid, signal.SIGKILL)
    first.wait(10)
    at_kill = read_jsonl(log)
    ended_before_kill = {i for e in at_kill if "end" in e for i in e["ids"]}
    in_flight = {i for e in at_kill if "start" in e for i in e["ids"]} - ended_before_kill
    assert in_flight  # the kill hit a batch being processed

    second = runners(app.endpoint, app.queue, str(log))

    def drained() -> bool:
        return not any(app.helper.counts(app.queue).values())

    wait_for(drained, timeout=60)
    second.kill()
    second.wait(10)
    entries = read_jsonl(log)
    ended = {i for e in entries if "end" in e for i in e["ids"]}
    assert ended == set(sent)  # every message processed (at least once) and then deleted
    restarted = entries[len(at_kill) :]
    redelivered = {
        i
        for e in restarted
        if "start" in e
        for i, count in zip(e["ids"], e["counts"])
        if int(count) >= 2
    }
    # What was in flight at the kill was not deleted: it came back after its visibility timeout.
    assert in_flight <= redelivered
