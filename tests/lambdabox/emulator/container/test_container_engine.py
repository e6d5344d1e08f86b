"""The narrow Engine API client against the real daemon, its create body against the
docker SDK's, and the log stream read on the event loop from Docker's socket."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from typing import Any

import docker  # type: ignore[import-untyped]
import pytest

from lambdabox.emulator.container import ContainerDriver
from lambdabox.emulator.container.docker_sdk import is_api_error
from lambdabox.emulator.container.engine import EngineClient, EngineError, NoDaemon, create_body
from lambdabox.emulator.container.logstream import LineSplitter, follow_logs
from lambdabox.testing.images import python_test_image

# The fields of `docker inspect` that the driver's hardening sets.
HARDENING = (
    *("NetworkMode", "ReadonlyRootfs", "Tmpfs", "Memory", "MemorySwap", "PidsLimit"),
    *("SecurityOpt", "CapDrop", "CapAdd", "Init", "Privileged"),
)
CONFIG = ("Cmd", "Env", "Labels", "User", "OpenStdin", "Tty", "Image", "Entrypoint")


@pytest.fixture(scope="module")
def sdk() -> Iterator[Any]:
    client = docker.from_env()
    yield client
    client.close()


@pytest.fixture(scope="module")
def image(sdk: Any) -> str:
    return python_test_image()


def _create_both(image: str, sdk: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    driver = ContainerDriver(image, run_id="engine", memory_mb=200, command=["app.handler"])
    kwargs = driver.create_kwargs({"A": "1", "B": "x=y"}, "", 0)
    driver.cleanup()
    engine, inspected = EngineClient(), []
    for create in (engine.containers.create, sdk.containers.create):
        name = f"lambdabox-engine-{uuid.uuid4().hex[:8]}"
        container = create(image, **{**kwargs, "name": name})
        try:
            inspected.append(sdk.api.inspect_container(container.id))
        finally:
            sdk.api.remove_container(container.id, force=True)
    return inspected[0], inspected[1]


def test_engine_client_creates_the_container_the_docker_sdk_would(image: str, sdk: Any) -> None:
    ours, theirs = _create_both(image, sdk)
    for field in HARDENING:
        assert ours["HostConfig"][field] == theirs["HostConfig"][field], field
    for field in CONFIG:
        assert ours["Config"][field] == theirs["Config"][field], field
    assert ours["HostConfig"]["Memory"] == 200 * 1024 * 1024
    assert ours["HostConfig"]["ReadonlyRootfs"] is True
    assert ours["Config"]["User"] == "993:993"


def test_engine_client_runs_waits_and_removes_a_container(image: str, sdk: Any) -> None:
    engine = EngineClient()
    name = f"lambdabox-engine-{uuid.uuid4().hex[:8]}"
    container = engine.containers.create(
        image, name=name, command=None, user="993:993", network_mode="host"
    )
    try:
        assert engine.containers.list(all=True, filters={"name": name})[0].id == container.id
        container.start()
        container.reload()
        assert container.attrs["State"]["Pid"] > 0
        container.kill(signal="SIGKILL")
        assert container.wait()["StatusCode"] == 137
        with pytest.raises(EngineError, match="is not running") as stopped:
            container.kill(signal="SIGTERM")
        assert is_api_error(stopped.value, 409)
    finally:
        container.remove(force=True)
    with pytest.raises(EngineError, match="No such container") as gone:
        engine.containers.get(container.id)
    assert is_api_error(gone.value, 404)


def test_engine_client_names_what_is_missing(tmp_path: Any) -> None:
    with pytest.raises(EngineError, match="No such image") as missing:
        EngineClient().images.get(f"lambdabox-no-such-image:{uuid.uuid4().hex[:8]}")
    assert is_api_error(missing.value, 404)
    with pytest.raises(NoDaemon, match="cannot reach"):
        EngineClient(str(tmp_path / "no.sock")).images.get("x")
    with pytest.raises(TypeError, match="_CREATE_FIELDS"):
        create_body("x", {"privileged": True})  # never silently dropped


def test_log_stream_on_the_loop_gets_every_line_stamped_in_order(image: str, sdk: Any) -> None:
    engine = EngineClient()  # its socket; the SDK sets the entrypoint (not a driver field)
    # stderr is unbuffered: its half line comes before stdout's (flushed at exit), and
    # must not be glued to stdout's first line.
    script = "import sys\nsys.stderr.write('to stderr, '); sys.stderr.flush()\n"
    script += "for i in range(300): print('line', i, 'x' * 40000 * (i == 7))\n"
    script += "sys.stderr.write('then the rest\\n')\n"
    created = sdk.containers.create(
        image, entrypoint=["/usr/bin/python3"], command=["-c", script], network_mode="host"
    )
    lines: list[tuple[bytes, float | None]] = []
    try:
        created.start()
        splitter = LineSplitter(lambda raw, at: lines.append((raw, at)))
        asyncio.run(follow_logs(engine.socket_path, created.id, splitter.feed))
        splitter.flush()
    finally:
        created.remove(force=True)
    texts = [raw for raw, _ in lines]
    assert b"to stderr, then the rest" in texts
    stdout = [(raw, at) for raw, at in lines if raw.startswith(b"line")]
    assert len(stdout) == 300
    assert len(texts) == 301
    assert stdout[0][0] == b"line 0 "
    assert stdout[299][0] == b"line 299 "
    assert stdout[7][0] == b"line 7 " + b"x" * 40000  # longer than Docker's 16 KiB messages
    stamps = [at or 0.0 for _, at in stdout]
    assert all(stamps)
    assert stamps == sorted(stamps)
