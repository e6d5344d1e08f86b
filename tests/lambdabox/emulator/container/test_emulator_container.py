"""The emulator in container mode: each environment's runtime is a hardened container.

Needs a Docker daemon and mmdebstrap (scripts/setup-host.sh provides both); the test
image is built once from Debian packages and reused while its inputs are unchanged.
"""

from __future__ import annotations

import asyncio
import json
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import docker  # type: ignore[import-untyped]
import pytest
import requests

from lambdabox.emulator.cgroup import MemoryProbe
from lambdabox.emulator.container import RUN_LABEL, ContainerDriver, exit_status
from lambdabox.emulator.process import describe_exit
from lambdabox.testing.emulator import RunningEmulator, container_emulator, run_containers
from lambdabox.testing.images import TEST_IMAGE_REPOSITORY, python_test_image
from lambdabox.testing.processes import free_port, run_command

MIB = 1024 * 1024
SCENARIOS = Path(__file__).resolve().parents[3] / "scenarios"
ROOT = Path(__file__).resolve().parents[4]


@pytest.fixture(scope="session")
def docker_client() -> Iterator[Any]:
    try:
        client = docker.from_env()
        client.ping()
    except docker.errors.DockerException as exc:
        pytest.fail(f"no Docker daemon answers ({exc}): run scripts/setup-host.sh")
    yield client
    client.close()


@pytest.fixture(scope="session")
def image(docker_client: Any) -> str:
    def progress(line: str) -> None:
        sys.stderr.write(line + "\n")

    tag = python_test_image(progress=progress)
    assert tag.startswith(TEST_IMAGE_REPOSITORY + ":")
    return tag


@pytest.fixture(scope="session")
def image_with_extension(docker_client: Any) -> str:
    """The test image plus an external extension in /opt/extensions."""
    return python_test_image(extensions=[SCENARIOS / "extensions" / "probe"])


def report_fields(emu: RunningEmulator, request_id: str) -> dict[str, str]:
    report = emu.report(request_id)
    return dict(part.split(": ", 1) for part in report.split("\t")[1:] if part)


# -- pure logic ----------------------------------------------------------------------


def test_docker_signal_statuses_map_to_negative_signals() -> None:
    assert exit_status(137) == -signal.SIGKILL
    assert describe_exit(exit_status(137)) == "signal: killed"
    assert describe_exit(exit_status(143)) == "signal: terminated"
    assert exit_status(3) == 3
    assert exit_status(128) == 128
    assert exit_status(255) == 255


def test_memory_probe_prefers_the_kernels_peak(tmp_path: Path) -> None:
    v1, v2 = tmp_path / "v1", tmp_path / "v2"
    v1.mkdir()
    v2.mkdir()
    (v1 / "memory.usage_in_bytes").write_text("1000\n")
    (v2 / "memory.current").write_text("5\n")
    (v2 / "memory.peak").write_text("7340032\n")
    probe = MemoryProbe([tmp_path / "missing", v2, v1])
    assert probe.is_peak
    assert probe.read() == 7 * MIB
    sampled = MemoryProbe([v1])
    assert not sampled.is_peak
    assert sampled.read() == 1000
    assert MemoryProbe([tmp_path / "missing"]).read() == 0


def test_create_arguments_harden_the_container() -> None:
    driver = ContainerDriver(
        "img", run_id="r1", memory_mb=300, command=["app.handler"], extra_env={"X": "1"}
    )
    kwargs = driver.create_kwargs({"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001"}, "n", 0)
    asyncio.run(driver.close())
    assert kwargs["command"] == ["app.handler"]
    assert kwargs["environment"] == {"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001", "X": "1"}
    assert kwargs["mem_limit"] == kwargs["memswap_limit"] == "300m"
    assert kwargs["read_only"] is True
    assert kwargs["user"] == "993:993"
    assert kwargs["network_mode"] == "host"
    assert kwargs["cap_drop"] == ["ALL"]
    assert kwargs["security_opt"] == ["no-new-privileges"]
    assert kwargs["init"] is False
    assert kwargs["labels"][RUN_LABEL] == "r1"


class _RefusingContainers:
    def create(self, image: str, **kwargs: Any) -> Any:
        raise docker.errors.ImageNotFound(f"No such image: {image}")

    def list(self, **kwargs: Any) -> list[Any]:
        return []


class _RefusingClient:
    containers = _RefusingContainers()

    def close(self) -> None:
        pass


def test_a_container_that_cannot_start_is_a_runtime_that_exited() -> None:
    driver = ContainerDriver("gone:1", client_factory=_RefusingClient, run_id="r2", memory_mb=128)
    lines: list[str] = []

    def on_line(line: str, written_at: float | None = None) -> None:
        lines.append(line)

    async def spawn() -> int:
        handle = await driver.spawn({}, on_line, 0)
        code = await handle.wait()
        assert handle.returncode == code
        assert handle.peak_memory_mb() == 0
        await handle.stop(0)  # idempotent, nothing to remove
        await driver.close()
        return code

    assert asyncio.run(spawn()) == 127
    assert lines == ["lambdabox: cannot start container lambdabox-r2-0-1: No such image: gone:1"]


# -- with Docker ---------------------------------------------------------------------


def test_invoke_through_a_container(image: str, docker_client: Any) -> None:
    with container_emulator(image, docker_client) as emu:
        resp = emu.invoke({"hello": "world"})
        assert resp.status_code == 200
        assert resp.json()["echo"] == {"hello": "world"}
        assert resp.json()["pid"] == 1  # the runtime is the container's only process
        fields = report_fields(emu, resp.headers["x-amzn-RequestId"])
        assert fields["Memory Size"] == "256 MB"
        assert int(fields["Max Memory Used"].split()[0]) > 0  # from the cgroup
        assert float(fields["Init Duration"].split()[0]) > 1
        again = emu.invoke({"n": 2})
        assert "Init Duration" not in report_fields(emu, again.headers["x-amzn-RequestId"])
        ctx = emu.invoke({"action": "context"}).json()
        assert ctx["arn"] == "arn:aws:lambda:us-east-1:012345678912:function:scenario"
        assert len(emu.containers()) == 1


def test_the_container_is_hardened(image: str, docker_client: Any) -> None:
    with container_emulator(image, docker_client, memory_mb=200) as emu:
        assert emu.invoke({}).status_code == 200
        (container_id,) = emu.containers()
        container = docker_client.containers.get(container_id)
        host = container.attrs["HostConfig"]
        assert host["ReadonlyRootfs"] is True
        assert host["Memory"] == 200 * MIB
        assert host["MemorySwap"] == 200 * MIB  # no swap
        assert host["PidsLimit"] == 512
        assert "no-new-privileges" in host["SecurityOpt"]
        assert host["CapDrop"] == ["ALL"]
        assert host["NetworkMode"] == "host"
        assert host["Privileged"] is False
        assert host["Tmpfs"] == {"/tmp": "rw,exec,nosuid,nodev,size=512m,mode=1777"}
        user = container.attrs["Config"]["User"]
        assert user
        assert user.split(":")[0] not in ("0", "root")
        assert container.attrs["Config"]["Labels"][RUN_LABEL] == emu.driver.run_id
        # And from inside, as the runtime's user: not root, / read-only, /tmp writable.
        probe = (
            "import os\n"
            "print(os.getuid(), os.getgid())\n"
            "try:\n"
            "    open('/var/task/x', 'w')\n"
            "except OSError as e:\n"
            "    print('task', e.errno)\n"
            "open('/tmp/x', 'w').write('ok')\n"
            "print('tmp', open('/tmp/x').read())\n"
        )
        code, output = container.exec_run(["/usr/bin/python3", "-c", probe])
        assert code == 0, output
        assert output.decode().split("\n")[:3] == ["993 993", "task 30", "tmp ok"]  # EROFS


def test_timeout_replaces_the_container(image: str, docker_client: Any) -> None:
    with container_emulator(image, docker_client, timeout_s=1) as emu:
        assert emu.invoke({}).status_code == 200
        (first,) = emu.containers()
        resp = emu.invoke({"action": "sleep", "seconds": 5})
        assert resp.headers["X-Amz-Function-Error"] == "Unhandled"
        request_id = resp.headers["x-amzn-RequestId"]
        assert resp.json() == {
            "errorType": "Sandbox.Timedout",
            "errorMessage": f"RequestId: {request_id} Error: Task timed out after 1.00 seconds",
        }
        assert emu.invoke({"again": True}).json()["echo"] == {"again": True}
        (second,) = emu.containers()
        assert second != first
        with pytest.raises(docker.errors.NotFound):
            docker_client.containers.get(first)  # killed and removed


def test_crash_and_out_of_memory_are_exit_errors_and_recover(
    image: str, docker_client: Any
) -> None:
    with container_emulator(image, docker_client, memory_mb=128) as emu:
        resp = emu.invoke({"action": "crash", "code": 3})
        request_id = resp.headers["x-amzn-RequestId"]
        assert resp.json() == {
            "errorType": "Runtime.ExitError",
            "errorMessage": f"RequestId: {request_id} "
            "Error: Runtime exited with error: exit status 3",
        }
        assert "about to crash" in emu.log()
        assert emu.invoke({"n": 2}).json()["echo"] == {"n": 2}
        # 256 MB of response in a 128 MB container: the kernel kills the runtime.
        resp = emu.invoke({"action": "big", "size": 256 * MIB})
        request_id = resp.headers["x-amzn-RequestId"]
        assert resp.json() == {
            "errorType": "Runtime.ExitError",
            "errorMessage": f"RequestId: {request_id} "
            "Error: Runtime exited with error: signal: killed",
        }
        assert emu.invoke({"n": 3}).json()["echo"] == {"n": 3}
        assert len(emu.containers()) == 1  # the dead ones were removed


def test_two_environments_are_two_containers(image: str, docker_client: Any) -> None:
    with container_emulator(image, docker_client, max_concurrency=2) as emu:
        seen: list[list[str]] = []

        def watch() -> None:
            for _ in range(40):
                seen.append(emu.containers())
                time.sleep(0.05)

        with ThreadPoolExecutor(3) as pool:
            watcher = pool.submit(watch)
            calls = [pool.submit(emu.invoke, {"action": "sleep", "seconds": 1.5}) for _ in "ab"]
            assert [c.result().status_code for c in calls] == [200, 200]
            watcher.result()
        assert max(len(ids) for ids in seen) == 2
        assert len(emu.emulator.pool.environments) == 2
        names = {docker_client.containers.get(i).name for i in emu.containers()}
        assert names == {f"lambdabox-{emu.driver.run_id}-0-1", f"lambdabox-{emu.driver.run_id}-1-2"}


def test_extensions_in_the_image_run_in_the_container(
    image_with_extension: str, docker_client: Any
) -> None:
    with container_emulator(image_with_extension, docker_client) as emu:
        resp = emu.invoke({"ext": 1})
        assert resp.status_code == 200, (resp.status_code, resp.content, emu.log())
        assert resp.json()["echo"] == {"ext": 1}
        request_id = resp.headers["x-amzn-RequestId"]
        emu.report(request_id)  # the environment is released once the extension is ready
        line = emu.wait_for_line("probe {", contains='"eventType": "INVOKE"')
        invoke = json.loads(line[len("probe ") :])["value"]
        assert invoke["requestId"] == request_id
    shutdowns = [
        json.loads(line[len("probe ") :])["value"]
        for line in emu.lines
        if line.startswith("probe {") and "SHUTDOWN" in line
    ]
    assert shutdowns
    assert shutdowns[0]["shutdownReason"] == "spindown"


def test_close_removes_every_container(image: str, docker_client: Any) -> None:
    with container_emulator(image, docker_client, max_concurrency=2) as emu:
        run_id = emu.driver.run_id
        emu.invoke({})
        assert len(run_containers(docker_client, run_id)) == 1
    assert run_containers(docker_client, run_id) == []


def test_driver_close_removes_containers_left_running(image: str, docker_client: Any) -> None:
    """Even when the emulator did not stop its environments (killed mid-way)."""
    run_id = f"t{uuid.uuid4().hex[:10]}"
    driver = ContainerDriver(image, run_id=run_id, memory_mb=128)

    def ignore(line: str, written_at: float | None = None) -> None:
        pass

    async def spawn_and_abandon() -> None:
        await driver.spawn({"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9"}, ignore, 0)
        await driver.spawn({"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9"}, ignore, 1)
        assert len(run_containers(docker_client, run_id)) == 2
        await driver.close()

    asyncio.run(spawn_and_abandon())
    assert run_containers(docker_client, run_id) == []


class _Run:
    """`lambdabox run` as a subprocess; its run id read from the announce line."""

    def __init__(self, image: str, *options: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/2015-03-31/functions/function/invocations"
        self.proc = subprocess.Popen(
            run_command(self.port, image, *options),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.out = self.err = ""
        assert self.proc.stderr is not None
        announce = self.proc.stderr.readline()
        match = re.search(r"lambdabox\.run=(\w+)", announce)
        assert match, announce
        self.run_id = match.group(1)

    def stop(self) -> None:
        """SIGINT: exits 0 (killed otherwise, then the test fails); output kept."""
        try:
            self.proc.send_signal(signal.SIGINT)
            assert self.proc.wait(30) == 0
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait(10)
            self.out, self.err = self.proc.communicate()


def test_lambdabox_run_serves_and_cleans_up_on_sigint(image: str, docker_client: Any) -> None:
    run = _Run(image, "--memory-size", "256", "--env", "GREETING=hi", "--function-name", "boxed")
    try:
        resp = requests.post(run.url, json={"action": "context"}, timeout=30)
        assert resp.status_code == 200
        assert resp.json()["arn"].endswith(":function:boxed")
        resp = requests.post(run.url, json={"via": "cli"}, timeout=30)
        assert resp.json()["echo"] == {"via": "cli"}
        (container,) = run_containers(docker_client, run.run_id)
        env = container.attrs["Config"]["Env"]
        assert "GREETING=hi" in env
        assert "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256" in env
        assert not any(v.startswith("HOME=/root") for v in env)  # not this shell's env
    finally:
        run.stop()
    assert "REPORT RequestId: " in run.out
    assert "Traceback" not in run.err
    assert run_containers(docker_client, run.run_id) == []


def test_lambdabox_run_serves_on_uvloop_when_asked(image: str, docker_client: Any) -> None:
    run = _Run(image, "--event-loop", "uvloop")
    try:
        resp = requests.post(run.url, json={"via": "uvloop"}, timeout=30)
        assert resp.status_code == 200
        assert resp.json()["echo"] == {"via": "uvloop"}
        assert "uvloop" in Path(f"/proc/{run.proc.pid}/maps").read_text()  # its loop is loaded
    finally:
        run.stop()
    assert "REPORT RequestId: " in run.out
    assert "Traceback" not in run.err
    assert run_containers(docker_client, run.run_id) == []


def test_lambdabox_run_with_a_missing_image_says_so(docker_client: Any) -> None:
    missing = f"{TEST_IMAGE_REPOSITORY}:missing-{uuid.uuid4().hex[:8]}"
    done = subprocess.run(
        [sys.executable, "-m", "lambdabox", "run", missing, "--listen", "127.0.0.1:0"],
        cwd=ROOT,
        capture_output=True,
        check=False,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert missing in done.stderr
    assert "docker build" in done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_lambdabox_run_usage_errors() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "lambdabox", "run", "x", "--env", "NOEQUALS"],
        cwd=ROOT,
        capture_output=True,
        check=False,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "--env takes NAME=VALUE" in done.stderr


def test_image_tag_is_the_hash_of_its_inputs(image: str, docker_client: Any) -> None:
    from lambdabox.testing.images import INPUTS_LABEL, inputs_digest

    assert image == f"{TEST_IMAGE_REPOSITORY}:{inputs_digest()[:16]}"
    started = time.monotonic()
    assert python_test_image() == image  # reused, not rebuilt
    assert time.monotonic() - started < 5
    assert docker_client.images.get(image).labels[INPUTS_LABEL] == inputs_digest()
