"""`--event-loop uvloop` serves what asyncio's loop serves: the same requests, sent to two
real `lambdabox emulate` processes (one per loop), get the same status, headers and body
bytes (request ids and dates aside), through results, function errors, a timeout, a
crash, an oversized answer, Event invocations, a streamed answer and bad requests; and a
loop that is not installed is refused with the fix."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import requests

from lambdabox.testing.emulator import EMULATOR_SCENARIO, python_runtime
from lambdabox.testing.processes import emulate_command, free_port

INVOKE = "/2015-03-31/functions/function/invocations"
KEPT_HEADERS = (
    "Content-Type",
    "Content-Length",
    "Transfer-Encoding",
    "X-Amz-Function-Error",
    "X-Amz-Executed-Version",
    "x-amzn-ErrorType",
    "Connection",
)
# Answers that would carry the handler's pid are avoided: the lengths must match too.
REQUESTS: list[tuple[str, str, dict[str, str], bytes]] = [
    ("POST", INVOKE, {}, b'{"action": "big", "size": 5}'),
    ("POST", INVOKE, {}, b'{"action": "fail"}'),
    ("POST", INVOKE, {}, b'{"action": "big", "size": 7000000}'),
    ("POST", INVOKE, {}, b'{"action": "sleep", "seconds": 3}'),
    ("POST", INVOKE, {}, b'{"action": "crash", "code": 4}'),
    ("POST", INVOKE, {"X-Amz-Invocation-Type": "Event"}, b'{"e": 1}'),
    ("POST", INVOKE, {"X-Amz-Invocation-Type": "DryRun"}, b"{}"),
    ("POST", INVOKE, {"X-Amz-Invocation-Type": "Bogus"}, b"{}"),
    ("POST", INVOKE, {}, b"not json"),
    ("POST", INVOKE, {"X-Amz-Log-Type": "Tail"}, b'{"action": "big", "size": 6}'),
    (
        "POST",
        "/2021-11-15/functions/function/response-streaming-invocations",
        {},
        b'{"action": "big", "size": 7}',
    ),
    ("GET", INVOKE, {}, b""),
    ("POST", "/nowhere", {}, b"{}"),
]
_IDS = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@contextmanager
def _emulate(loop: str) -> Iterator[str]:
    port = free_port()
    runtime = python_runtime("app.handler")
    # Two environments: a sync request never waits on the Event invocation's (no 429).
    command = emulate_command(port, runtime, "--event-loop", loop, "--max-concurrency", "2")
    env = {"AWS_LAMBDA_FUNCTION_TIMEOUT": "1"}
    proc = subprocess.Popen(
        command,
        cwd=EMULATOR_SCENARIO,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(url + "/openapi.json", timeout=10)
                break
            except requests.ConnectionError:
                assert proc.poll() is None, "did not start"
                assert time.monotonic() < deadline, "did not start in time"
                time.sleep(0.02)
        yield url
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err.decode()[-2000:]


def _normalised(response: requests.Response) -> tuple[int, dict[str, str], bytes]:
    headers = {name: response.headers[name] for name in KEPT_HEADERS if name in response.headers}
    body = _IDS.sub(b"<id>", response.content)  # (the answers hold no pid: same lengths)
    log = response.headers.get("X-Amz-Log-Result")
    if log is not None:  # base64 of the log's tail: the REPORT line's figures vary
        headers["X-Amz-Log-Result"] = "present"
    return response.status_code, headers, body


def _answers(loop: str) -> list[tuple[int, dict[str, str], bytes]]:
    with _emulate(loop) as url, requests.Session() as session:
        return [
            _normalised(session.request(method, url + path, headers=h, data=body, timeout=60))
            for method, path, h, body in REQUESTS
        ]


def test_uvloop_answers_what_asyncio_answers() -> None:
    default, uvloop = _answers("asyncio"), _answers("uvloop")
    for request, mine, theirs in zip(REQUESTS, default, uvloop, strict=True):
        assert mine == theirs, request
    statuses = [status for status, _, _ in default]
    assert statuses[:2] == [200, 200]  # the sequence did run
    assert statuses[5] == 202


def test_a_loop_that_is_not_installed_is_refused_with_the_fix() -> None:
    port = free_port()
    code = "import sys; sys.modules['uvloop'] = None; from lambdabox.console import main; "
    code += "sys.exit(main())"
    command = emulate_command(port, python_runtime("app.handler"), "--event-loop", "uvloop")
    proc = subprocess.run(
        [sys.executable, "-c", code, *command[3:]],
        cwd=EMULATOR_SCENARIO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    assert "pip install 'lambdabox[uvloop]'" in proc.stderr


def test_the_bundled_emulator_has_only_asyncio_s_loop() -> None:
    """What the base images' aws-lambda-rie says: it registers no other loop."""
    code = (
        "from lambdabox.emulator.loops import LoopUnavailable, check\n"
        "check('asyncio')\n"
        "try:\n"
        "    check('uvloop')\n"
        "except LoopUnavailable as exc:\n"
        "    print(exc)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert "bundled into base images runs asyncio's loop only" in proc.stdout
