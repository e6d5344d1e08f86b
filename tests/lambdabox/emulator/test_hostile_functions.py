"""Hostile functions in container mode: each attempt is contained, other environments answer.

A handler (tests/scenarios/hostile/app.py) built into an image on the python3.11
base by our builder runs under the emulator's container driver (what
``lambdabox run`` uses) with two environments.  Each case asserts the
attempt failed the way Lambda fails it, then that both environments still answer.
"""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import docker  # type: ignore[import-untyped]
import pytest

from lambdabox.emulator.config import EmulatorConfig, FunctionConfig
from lambdabox.emulator.container import RUN_LABEL, ContainerDriver
from lambdabox.testing.emulator import ContainerEmulator
from lambdabox.testing.images import python_test_image

APP = Path(__file__).resolve().parents[2] / "scenarios" / "hostile" / "app.py"
MEMORY_MB = 256

pytestmark = pytest.mark.slow


class _Hostile(ContainerEmulator):
    """A container emulator that also tells each environment's Runtime API address."""

    def addresses(self) -> list[str]:
        return [env.address for env in self.emulator.pool.environments]


@pytest.fixture(scope="module")
def docker_client() -> Iterator[Any]:
    client = docker.from_env()
    yield client
    client.close()


@pytest.fixture(scope="module")
def hostile(docker_client: Any) -> Iterator[_Hostile]:
    image = python_test_image(app_source=APP)
    run_id = f"h{uuid.uuid4().hex[:10]}"
    driver = ContainerDriver(image, run_id=run_id, memory_mb=MEMORY_MB)
    config = EmulatorConfig(
        command=(),
        driver=driver,
        function=FunctionConfig(name="hostile", timeout_s=20, memory_mb=MEMORY_MB),
        invoke_port=0,
        runtime_api_port=0,
        max_concurrency=2,
        eager_init=True,
    )
    running = _Hostile(config, driver)
    running.start()
    try:
        yield running
    finally:
        running.stop()
        left = docker_client.containers.list(all=True, filters={"label": f"{RUN_LABEL}={run_id}"})
        assert left == [], "a container outlived the emulator"


def _both_answer(emu: _Hostile) -> None:
    """Two concurrent invokes (so both environments serve one) still get their echo."""
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda n: emu.invoke({"n": n}, timeout=60), range(2)))
    assert [r.json()["echo"] for r in results] == [{"n": 0}, {"n": 1}]


def _result(emu: _Hostile, event: dict[str, Any]) -> Any:
    resp = emu.invoke(event, timeout=60)
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_root_filesystem_is_read_only(hostile: _Hostile) -> None:
    paths = ["/x", "/var/task/app.py", "/etc/passwd", "/opt/x", "/usr/bin/python3"]
    got = _result(hostile, {"action": "write_root", "paths": paths})
    assert set(got.values()) <= {"EROFS", "EACCES"}, got
    _both_answer(hostile)


def test_filling_tmp_stops_at_its_size_or_the_memory_limit(hostile: _Hostile) -> None:
    resp = hostile.invoke({"action": "fill_tmp"}, timeout=60)
    body = resp.json()
    if resp.headers.get("X-Amz-Function-Error"):
        # tmpfs pages are charged to the function's memory: the kernel kills it first.
        assert body["errorType"] == "Runtime.ExitError", body
    else:
        assert body["errno"] == "ENOSPC", body
        assert body["mib"] <= 512, body
    _both_answer(hostile)


def test_a_fork_bomb_hits_the_process_limit(hostile: _Hostile) -> None:
    got = _result(hostile, {"action": "fork_bomb"})
    if "errorType" in got:
        # 500 Python processes also exhaust the memory size: the kernel kills them first.
        assert got["errorType"] == "Runtime.ExitError", got
        assert got["errorMessage"].endswith("signal: killed"), got
    else:
        assert got["failure"] == "EAGAIN", got  # the container's pids limit
        assert got["children"] < 512, got
    _both_answer(hostile)


def test_allocating_past_the_memory_size_is_an_exit_error(hostile: _Hostile) -> None:
    resp = hostile.invoke({"action": "allocate", "mib": MEMORY_MB + 64}, timeout=60)
    assert resp.headers["X-Amz-Function-Error"] == "Unhandled"
    request_id = resp.headers["x-amzn-RequestId"]
    assert resp.json() == {
        "errorType": "Runtime.ExitError",
        "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: signal: killed",
    }
    _both_answer(hostile)


def test_privileges_cannot_be_raised(hostile: _Hostile) -> None:
    got = _result(hostile, {"action": "privileges"})
    assert got["uid"] != 0
    # The Debian base ships setuid binaries (su, newgrp, ...); the kernel ignores their bit.
    assert got["no_new_privs"] == "1", got
    assert got["cap_eff"] == got["cap_bnd"] == "0000000000000000", got
    # A setuid copy in /tmp runs (/tmp allows exec, as in the service) but gains nothing
    # (nosuid, no-new-privileges).
    assert got["setuid_copy_euid"] in ("EACCES", str(got["uid"])), got
    assert got["setuid0"] == "EPERM", got
    assert got["unshare_user"] == "EPERM", got
    assert got["unshare_mount"] == "EPERM", got
    assert got["mount"] == "EPERM", got
    assert got["chroot"] == "EPERM", got
    _both_answer(hostile)


def test_a_script_written_to_tmp_can_run(hostile: _Hostile) -> None:
    got = _result(hostile, {"action": "exec_tmp"})
    assert got == {"exec": "ok", "stdout": "ran from tmp as 993\n", "code": 0}, got
    _both_answer(hostile)


def test_host_and_emulator_files_are_out_of_reach(hostile: _Hostile) -> None:
    here = str(Path(__file__).resolve())
    paths = ["/etc/shadow", here, f"/proc/{os.getpid()}/environ", "/root/.bashrc"]
    got = _result(hostile, {"action": "read_files", "paths": paths})
    assert got["files"]["/etc/shadow"] in ("EACCES", "ENOENT"), got
    assert got["files"][here] == "ENOENT", got  # the host's tree is not mounted
    assert got["files"]["/root/.bashrc"] in ("EACCES", "ENOENT"), got
    emulator_cmdline = " ".join(sys.argv)
    assert all(emulator_cmdline not in line for line in got["cmdlines"]), got
    assert all("pytest" not in line for line in got["cmdlines"]), got
    _both_answer(hostile)


def test_another_environments_runtime_api_is_out_of_reach(hostile: _Hostile) -> None:
    _both_answer(hostile)  # both environments are up, each runtime long-polling /next
    addresses = hostile.addresses()
    assert len(addresses) == 2
    with ThreadPoolExecutor(3) as pool:
        busy = pool.submit(hostile.invoke, {"action": "sleep", "seconds": 4}, timeout=60)
        time.sleep(1)
        # The other environment's handler polls the busy environment's /next.
        thief = pool.submit(
            _result, hostile, {"action": "other_runtime_api", "addresses": addresses, "wait": 10}
        )
        assert busy.result().status_code == 200
        time.sleep(0.5)
        victim = pool.submit(hostile.invoke, {"secret": "victim"}, timeout=60)
        stolen = thief.result()
        answer = victim.result()
    assert "victim" not in json.dumps(stolen), f"another environment took the event: {stolen}"
    # The busy environment's Runtime API refused the other environment's process.
    assert stolen["status"] == 403, stolen
    refusal = json.loads(stolen["body"])
    assert refusal["errorType"] == "AccessDeniedException", refusal
    assert "AWS_LAMBDA_RUNTIME_API" in refusal["errorMessage"], refusal
    assert answer.json() == {"echo": {"secret": "victim"}, "pid": 1}
