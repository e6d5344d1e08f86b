"""Lifecycle details: lazy/eager init, init timeout, multi-concurrent runtimes, signals."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import requests
from emulator_support import SCENARIOS, emulator, python_runtime

from lambdabox.testing.processes import emulate_command, free_port


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
