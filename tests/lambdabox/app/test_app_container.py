"""`lambdabox up --mode container`: a Zip function with a layer built by lambdabox's builder
onto the python3.11 base image (built from Debian packages on first use, cached), run in
containers; SIGTERM removes every container."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from lambdabox.emulator.container import RUN_LABEL
from lambdabox.testing.up import UpProcess


def _containers() -> set[str]:
    import docker  # type: ignore[import-untyped]

    client = docker.from_env()
    try:
        return {c.id for c in client.containers.list(all=True, filters={"label": RUN_LABEL})}
    finally:
        client.close()


@pytest.mark.slow
def test_container_mode_builds_and_runs_a_function_with_a_layer(
    two_functions: Path, start_up: Callable[..., UpProcess]
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


DOCKER_TEMPLATE = """\
Resources:
  ImageFunction:
    Type: AWS::Serverless::Function
    Properties:
      PackageType: Image
      Environment: {Variables: {KIND: dockerfile}}
    Metadata:
      Dockerfile: Dockerfile
      DockerContext: ./image
"""


@pytest.mark.slow
def test_image_function_built_from_its_dockerfile(
    tmp_path: Path, start_up: Callable[..., UpProcess]
) -> None:
    loaded = subprocess.run(
        [sys.executable, "-m", "lambdabox", "base", "build", "python3.11", "--load"],
        capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    assert loaded.returncode == 0, loaded.stderr  # lambdabox/base:python3.11, cached
    (tmp_path / "image").mkdir()
    (tmp_path / "image" / "Dockerfile").write_text(
        'FROM lambdabox/base:python3.11\nCOPY app.py /var/task/\nCMD ["app.handler"]\n'
    )
    (tmp_path / "image" / "app.py").write_text(
        "import os\n\ndef handler(event, context):\n    return os.environ['KIND']\n"
    )
    (tmp_path / "template.yaml").write_text(DOCKER_TEMPLATE)
    up = start_up(cwd=tmp_path)
    assert up.listing["mode"] == "container"  # chosen: an Image function
    assert up.invoke("ImageFunction") == "dockerfile"
    assert up.stop(signal.SIGTERM, timeout=60) == 0
