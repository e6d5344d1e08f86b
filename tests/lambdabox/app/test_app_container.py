"""`lambdabox up --mode container`: a Zip function with a layer built by lambdabox's builder
onto the python3.11 base image (built from Debian packages on first use, cached), run in
containers; SIGTERM removes every container."""

from __future__ import annotations

import signal
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Up

from lambdabox.emulator.container import RUN_LABEL


def _containers() -> set[str]:
    import docker  # type: ignore[import-untyped]

    client = docker.from_env()
    try:
        return {c.id for c in client.containers.list(all=True, filters={"label": RUN_LABEL})}
    finally:
        client.close()


@pytest.mark.slow
def test_container_mode_builds_and_runs_a_function_with_a_layer(
    two_functions: Path, start_up: Callable[..., Up]
) -> None:
    before = _containers()
    up = start_up("--mode", "container", "--function", "HelloFunction", cwd=two_functions)
    assert up.listing["mode"] == "container"
    assert up.invoke("HelloFunction", {"n": 2}) == {
        "fn": "HelloFunction",
        "greeting": "hello",
        "orders": "arn:aws:lambda:us-east-1:123456789012:function:orders-fn",
        "shared": "from the layer",
        "event": {"n": 2},
    }
    running = _containers() - before
    assert running, "no container was started"
    assert up.stop(signal.SIGTERM, timeout=60) == 0
    assert not (_containers() & running), "containers left behind"
