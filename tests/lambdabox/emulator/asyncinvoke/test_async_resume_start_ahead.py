"""Journalled Event invocations resumed at start never go to a runtime started ahead that
the emulator did not adopt (issue 12: `--state-dir` with the runtime start-ahead).

`lambdabox emulate --state-dir` starts its runtime ahead of its imports; here the
environment changes in between (a wrapper sets a variable just before the emulator is
built), so the emulator stops that runtime (which has sent `GET /next` already) and
starts its own. Journalled events are ready at that very moment: every one must run in
the emulator's own runtime, promptly; one handed to the stopped runtime would wait for
the function's timeout (60 s here), as resumed events did before.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from lambdabox.emulator import prestart
from lambdabox.emulator.asyncinvoke import Journal
from lambdabox.emulator.asyncinvoke.journal import QueuedEvent
from lambdabox.testing.emulator import python_runtime
from lambdabox.testing.processes import free_port

HANDLER = """
import os

def handler(event, context):
    with open(os.environ["RUN_LOG"], "a") as f:
        f.write(f"{context.aws_request_id} {os.environ.get('CHANGED_AFTER_START', '-')}\\n")
    return event
"""
WRAPPER = """
import os, sys
from lambdabox.emulator import start
from lambdabox.cli import main

serve = start._serve

def changed(config, event_loop):
    os.environ["CHANGED_AFTER_START"] = "1"  # the runtime started ahead lacks it
    return serve(config, event_loop)

start._serve = changed
sys.exit(main(sys.argv[1:]))
"""
EVENTS = 6


def _journal_events(state: Path, function: str) -> list[str]:
    journal = Journal(state, function)
    ids = [str(uuid.uuid4()) for _ in range(EVENTS)]
    for n, request_id in enumerate(ids):
        journal.add(
            QueuedEvent(
                request_id=request_id,
                arn=f"arn:aws:lambda:us-east-1:012345678912:function:{function}",
                payload=json.dumps({"n": n}).encode(),
                content_type="application/json",
                client_context=None,
                trace_id=f"Root=1-00000000-{uuid.uuid4().hex[:24]};Sampled=0",
                tenant_id=None,
                accepted_at=time.time(),
            )
        )
    journal.close()
    return ids


def _connected(port: int) -> bool:
    """A connection to `port` is established (waiting in its backlog)."""
    target = f":{port:04X}"
    rows = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return any(row.split()[1].endswith(target) and row.split()[3] == "01" for row in rows)


def test_resumed_events_skip_an_unadopted_runtime_started_ahead(tmp_path: Path) -> None:
    (tmp_path / "runner.py").write_text(HANDLER)
    (tmp_path / "wrapper.py").write_text(WRAPPER)
    runs = tmp_path / "runs.log"
    ids = _journal_events(tmp_path / "state", "resumed")
    env = {
        **os.environ,
        "RUN_LOG": str(runs),
        "AWS_LAMBDA_FUNCTION_NAME": "resumed",
        "AWS_LAMBDA_FUNCTION_TIMEOUT": "60",
    }
    command = [
        sys.executable, str(tmp_path / "wrapper.py"), "emulate",
        "--listen", f"127.0.0.1:{free_port()}",
        "--runtime-api-address", f"127.0.0.1:{free_port()}",
        "--state-dir", str(tmp_path / "state"), "--max-concurrency", "2",
        "--extensions-dir", str(tmp_path / "none"), "--log-level", "error",
        "--", *python_runtime("runner.handler"),
    ]  # fmt: skip
    proc = subprocess.Popen(command, cwd=tmp_path, env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + 20  # far below the 60 s a lost event would take
        while True:
            lines = runs.read_text().splitlines() if runs.exists() else []
            if len(lines) >= EVENTS or time.monotonic() > deadline:
                break
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    ran = [line.split() for line in runs.read_text().splitlines()]
    assert sorted(request_id for request_id, _ in ran) == sorted(ids)  # each once, none lost
    assert {marker for _, marker in ran} == {"1"}  # all in the emulator's own runtimes


def test_a_runtime_not_adopted_is_stopped_and_its_queued_connections_closed(
    tmp_path: Path,
) -> None:
    (tmp_path / "runner.py").write_text(HANDLER)
    command = python_runtime("runner.handler")
    host, port = prestart.bind("127.0.0.1", 0)
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "AWS_LAMBDA_RUNTIME_API": f"{host}:{port}"}
    env["_HANDLER"] = command[-1]
    try:
        prestart.spawn_runtime(command, None, env)
        deadline = time.monotonic() + 30
        while not _connected(port):
            assert time.monotonic() < deadline, "the runtime started ahead never connected"
            time.sleep(0.02)
        sock = prestart.take_socket("127.0.0.1", 0)
        assert sock is not None
        wanted = {**env, "NOT_THE_SAME": "1"}
        assert prestart.take_runtime(command, None, wanted) is None
        assert not prestart.stopped_unadopted("127.0.0.1:1")  # another environment's
        assert prestart.stopped_unadopted(f"{host}:{port}")  # its environment is told, once
        assert not prestart.stopped_unadopted(f"{host}:{port}")
        sock.setblocking(False)
        try:
            conn, _ = sock.accept()
        except BlockingIOError:
            conn = None
        assert conn is None, "the stopped runtime's connection was left in the backlog"
        sock.close()
    finally:
        prestart.discard()
