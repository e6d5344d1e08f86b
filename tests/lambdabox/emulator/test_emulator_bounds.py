"""The emulator's Invoke API bounds with a real runtime: the cap and the timers leave the
Runtime API and long invocations alone.

The Invoke API runs with a cap of 2 connections and a 0.3 s idle timeout;
each environment's Runtime API is a server of its own with its own cap.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest
import requests

from lambdabox.emulator.config import EmulatorConfig, FunctionConfig
from lambdabox.testing.emulator import EMULATOR_SCENARIO, RunningEmulator, python_runtime
from lambdabox.testing.processes import emulate_command, free_port

INVOKE = "/2015-03-31/functions/function/invocations"


@pytest.fixture
def capped() -> Iterator[RunningEmulator]:
    command = python_runtime("app.handler")
    config = EmulatorConfig(
        command=command,
        cwd=str(EMULATOR_SCENARIO),
        handler=command[-1],
        function=FunctionConfig(name="bounds", timeout_s=30, memory_mb=256),
        invoke_port=0,
        runtime_api_port=0,
        max_concurrency=2,
        max_connections=2,
        idle_timeout_s=0.3,
    )
    running = RunningEmulator(config)
    running.start()
    try:
        yield running
    finally:
        running.stop()


def _request(sock: socket.socket, event: object) -> None:
    body = json.dumps(event).encode()
    head = f"POST {INVOKE} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n\r\n"
    sock.sendall(head.encode() + body)


def _answer(sock: socket.socket) -> tuple[int, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        piece = sock.recv(65536)
        assert piece, f"closed before an answer: {data!r}"
        data += piece
    head, _, body = data.partition(b"\r\n\r\n")
    fields = dict(line.split(b":", 1) for line in head.split(b"\r\n")[1:])
    length = int({k.lower(): v for k, v in fields.items()}[b"content-length"])
    while len(body) < length:
        piece = sock.recv(65536)
        assert piece
        body += piece
    return int(head.split()[1]), body


def test_a_full_invoke_api_refuses_with_503_but_runtimes_keep_serving(
    capped: RunningEmulator,
) -> None:
    host, port = capped.emulator.invoke_address
    first = socket.create_connection((host, port), timeout=30)
    second = socket.create_connection((host, port), timeout=30)
    try:
        _request(first, {"action": "sleep", "seconds": 1.0})  # longer than the idle timer
        _request(second, {"n": 2})
        assert _answer(second)[0] == 200  # both connections are counted in
        extra = requests.post(capped.url, json={"n": 3}, timeout=30)
        assert extra.status_code == 503  # shaped as the Invoke API's service errors
        assert extra.headers["x-amzn-ErrorType"] == "ServiceException"
        assert extra.headers["Connection"] == "close"
        assert extra.json()["Type"] == "Service"
        assert "at most 2 connections" in extra.json()["message"]
        status, body = _answer(first)  # the runtime reached its own Runtime API meanwhile
        assert status == 200
        assert json.loads(body)["echo"] == {"action": "sleep", "seconds": 1.0}
    finally:
        first.close()
        second.close()
    deadline = time.monotonic() + 10
    while True:  # the closes are noticed, then new callers are admitted again
        answer = requests.post(capped.url, json={"n": 4}, timeout=30)
        if answer.status_code == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert answer.json()["echo"] == {"n": 4}


def test_the_cli_sets_the_idle_timeout_and_refuses_a_bad_cap() -> None:
    port = free_port()
    runtime = python_runtime("app.handler")
    command = emulate_command(port, runtime, "--idle-timeout", "0.3", "--max-connections", "5")
    proc = subprocess.Popen(
        command, cwd=EMULATOR_SCENARIO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                sock = socket.create_connection(("127.0.0.1", port), timeout=30)
                break
            except OSError:
                assert time.monotonic() < deadline, "lambdabox emulate did not listen"
                time.sleep(0.05)
        with sock:
            _request(sock, {"n": 1})
            assert _answer(sock)[0] == 200
            assert sock.recv(1) == b""  # then idle: closed by the server, nothing sent
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    bad = subprocess.run(
        emulate_command(free_port(), runtime, "--max-connections", "0"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert bad.returncode == 2
    assert "--max-connections: must be a whole number of at least 1, not '0'" in bad.stderr
    assert "Traceback" not in bad.stderr
