"""Fixtures shared by the function image tests: a sample app, pip and Docker doubles."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from builder import Image, validate_layout, write_layout
from builder.export import DockerSDKExporter
from lambdabox.testing.emulator import container_emulator

SKOPEO = shutil.which("skopeo")
DOCKER = "/usr/bin/docker"


def docker_works() -> bool:
    if not Path(DOCKER).exists():
        return False
    probe = subprocess.run([DOCKER, "version"], capture_output=True, timeout=30, check=False)
    return probe.returncode == 0


@pytest.fixture(scope="session")
def needs_docker() -> None:
    """Skips the test unless skopeo and a Docker daemon are there."""
    if SKOPEO is None or not docker_works():
        pytest.skip("needs skopeo and a Docker daemon")


def _write_app(folder: Path, body: str = "return {'ok': True}") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "app.py").write_text(f"def handler(event, context):\n    {body}\n")
    (folder / "lib").mkdir(exist_ok=True)
    (folder / "lib" / "helper.py").write_text("VALUE = 1\n")
    (folder / "notes.log").write_text("ignored\n")
    (folder / ".lambdaboxignore").write_text("*.log\n")
    return folder


@pytest.fixture(scope="session")
def write_app() -> Callable[..., Path]:
    """`write_app(folder, body=...)`: a function folder (app.py, lib/, an ignored file)."""
    return _write_app


def _pip_must_not_run(argv: Any) -> subprocess.CompletedProcess[str]:
    raise AssertionError(f"pip ran although its layer is cached: {argv}")


@pytest.fixture(scope="session")
def pip_must_not_run() -> Callable[[Any], subprocess.CompletedProcess[str]]:
    """A pip runner that fails the test if called (the layer should come from the cache)."""
    return _pip_must_not_run


@contextlib.contextmanager
def _running_under_the_emulator(image: Image, layout: Path) -> Iterator[tuple[Any, Any]]:
    """`image` written to `layout` (validated), loaded into Docker, run by the emulator in
    container mode; yields the emulator and the Docker client, removes the image after."""
    import docker  # type: ignore[import-untyped]

    write_layout(layout, image, tag="fn")
    validate_layout(layout, "fn")
    name = f"lambdabox-test-fn:{uuid.uuid4().hex[:12]}"
    DockerSDKExporter().export(layout, "fn", name)
    client = docker.from_env()
    try:
        with container_emulator(name, client) as emu:
            yield emu, client
    finally:
        client.images.remove(str(image.config_digest), force=True)
        client.close()


@pytest.fixture(scope="session")
def running_under_the_emulator() -> Callable[
    [Image, Path], contextlib.AbstractContextManager[tuple[Any, Any]]
]:
    """`with running_under_the_emulator(image, layout) as (emulator, docker_client)`."""
    return _running_under_the_emulator
