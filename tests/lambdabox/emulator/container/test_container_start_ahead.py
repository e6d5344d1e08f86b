"""A container started ahead that no environment adopts is removed, not left polling."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import docker  # type: ignore[import-untyped]

from lambdabox.emulator.container import ContainerDriver
from lambdabox.emulator.container.driver import RUN_LABEL
from lambdabox.testing.images import python_test_image


def _names(sdk: Any, run_id: str) -> set[str]:
    found = sdk.containers.list(all=True, filters={"label": f"{RUN_LABEL}={run_id}"})
    return {c.name for c in found}


def test_an_unadopted_container_started_ahead_is_removed() -> None:
    image = python_test_image()
    run_id = f"ahead{time.time_ns() % 10**9}"
    driver = ContainerDriver(image, run_id=run_id, memory_mb=128, command=["app.handler"])
    sdk = docker.from_env()
    # Nothing listens on this Runtime API address: the runtimes only need to exist.
    base = {"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9", "AWS_LAMBDA_FUNCTION_NAME": "f"}
    try:
        driver.start_ahead({**base, "A": "started ahead"}, 0)
        lines: list[str] = []

        async def spawn_other() -> str:
            asked = {**base, "A": "asked for"}
            handle = await driver.spawn(asked, lambda *a: lines.append(a[0]), 0)
            return handle.name

        adopted = asyncio.run(spawn_other())
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            names = _names(sdk, run_id)
            if names == {adopted}:
                break
            time.sleep(0.2)
        assert _names(sdk, run_id) == {adopted}, "the container started ahead is still there"
    finally:
        driver.cleanup()
        sdk.close()
    assert _names(docker.from_env(), run_id) == set()
