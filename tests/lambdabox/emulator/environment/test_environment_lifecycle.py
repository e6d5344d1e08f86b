"""Lifecycle details: lazy/eager init, init timeout, multi-concurrent runtimes, signals."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from lambdabox.testing.emulator import emulator, python_runtime
from lambdabox.testing.processes import emulate_command, free_port

SCENARIOS = Path(__file__).resolve().parents[3] / "scenarios"


def test_lazy_init_starts_the_runtime_on_first_invoke() -> None:
    with emulator(python_runtime("app.handler"), eager=False) as emu:
        env = emu.emulator.pool.environments[0]
        assert env.state.value == "new"
        assert emu.invoke({}).status_code == 200
        assert env.state.value == "ready"
        assert "Init Duration" in emu.report()


def test_init_timeout_is_reported_and_the_environment_reset() -> None:
    with emulator(python_runtime("slow_init.handler"), init_timeout_s=0.5) as emu:
        resp = emu.invoke({})
        assert resp.headers["X-Amz-Function-Error"] == "Unhandled"
        assert resp.json()["errorType"] == "Sandbox.Timedout"
        assert resp.json()["errorMessage"] == "Init timed out after 0.50 seconds"


def test_multi_concurrent_runtime_takes_parallel_invokes() -> None:
    env = {"AWS_LAMBDA_MAX_CONCURRENCY": "2"}
    with emulator(python_runtime("app.handler"), runtime_concurrency=2, env=env) as emu:
        with ThreadPoolExecutor(2) as pool:
            outs = list(
                pool.map(lambda _: emu.invoke({"action": "sleep", "seconds": 0.5}), range(2))
            )
        assert [o.status_code for o in outs] == [200, 200]
        assert len(emu.emulator.pool.environments) == 1
        pids = {emu.invoke({"n": i}).json()["pid"] for i in range(6)}
        assert len(pids) == 2  # two worker processes behind one Runtime API


def test_sigterm_stops_everything_and_exits_zero() -> None:
    port = free_port()
    proc = subprocess.Popen(
        emulate_command(port, python_runtime("app.handler")),
        cwd=SCENARIOS / "emulator",
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        url = f"http://127.0.0.1:{port}/2015-03-31/functions/function/invocations"
        for _ in range(200):
            try:
                pid = requests.post(url, json={}, timeout=5).json()["pid"]
                break
            except requests.ConnectionError:
                time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=15)
        assert proc.returncode == 0
        assert b"Invoke API on http://127.0.0.1:" in err
        try:
            os.kill(pid, 0)
            alive = True
        except ProcessLookupError:
            alive = False
        assert not alive, "the runtime outlived the emulator"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def _emulate_once(*options: str) -> tuple[int, str, str]:
    """`lambdabox emulate OPTIONS`: one invoke, then SIGTERM; exit status, stdout, stderr."""
    port = free_port()
    proc = subprocess.Popen(
        emulate_command(port, python_runtime("app.handler"), *options),
        cwd=SCENARIOS / "emulator",
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}/2015-03-31/functions/function/invocations"
        for _ in range(200):
            try:
                assert requests.post(url, json={}, timeout=5).status_code == 200
                break
            except requests.ConnectionError:
                time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=15)
        return proc.returncode, out, err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def test_log_level_debug_describes_every_request() -> None:
    code, out, err = _emulate_once("--log-level", "DEBUG")
    assert code == 0
    assert "START RequestId:" in out  # the function's log is not the emulator's
    assert "Invoke API on http://127.0.0.1:" in err
    lines = err.splitlines()
    assert any(
        "debug: invoke-api POST /2015-03-31/functions/function/invocations -> 200" in line
        for line in lines
    )
    assert any(
        "debug: runtime-api-0 GET /2018-06-01/runtime/invocation/next" in line for line in lines
    )
    assert any(
        "/2018-06-01/runtime/invocation/" in line and "/response -> 202" in line for line in lines
    )


def test_log_level_error_keeps_only_failures_and_the_function_log() -> None:
    code, out, err = _emulate_once("--log-level", "error")
    assert code == 0
    assert "START RequestId:" in out
    assert "REPORT RequestId:" in out
    assert "Invoke API on" not in err
    assert "debug:" not in err


def test_an_unknown_log_level_is_a_usage_error() -> None:
    done = subprocess.run(
        emulate_command(free_port(), python_runtime("app.handler"), "--log-level", "loud"),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 2
    assert "unknown log level 'loud': use one of trace, debug, info" in done.stderr
