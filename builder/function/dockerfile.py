"""`lambdabox build --dockerfile`: a user's Dockerfile, built by Docker, then exported.

The docker SDK builds it by default (the daemon's builder); `--buildkit` uses Debian's
docker CLI with BuildKit instead. Either way the result is copied out of the daemon into
an OCI layout with skopeo (so --output/--push work as for our own builds).
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..oci.errors import BuilderError

DOCKER_CLI = "/usr/bin/docker"


def build_with_sdk(
    context: Path, dockerfile: Path, tag: str, say: Callable[[str], None], client: Any = None
) -> str:
    """Build through the docker SDK (host network); returns the image ID."""
    import docker  # type: ignore[import-untyped]

    api = (client or docker.from_env()).api
    try:
        stream = api.build(
            path=str(context),
            dockerfile=str(dockerfile),
            tag=tag,
            network_mode="host",
            rm=True,
            forcerm=True,
            decode=True,
        )
        image_id = ""
        for chunk in stream:
            if "error" in chunk:
                raise BuilderError(f"docker build failed: {chunk['error'].strip()}")
            text = str(chunk.get("stream", "")).strip()
            if text.startswith("Step "):
                say(text)
            aux = chunk.get("aux") or {}
            image_id = aux.get("ID", image_id)
    except docker.errors.DockerException as exc:
        raise BuilderError(f"docker build failed: {exc}; is the Docker daemon running?") from exc
    if not image_id:
        raise BuilderError("docker build ended without an image; see the steps above")
    return str(image_id)


def build_with_buildkit(
    context: Path, dockerfile: Path, tag: str, say: Callable[[str], None]
) -> str:
    """Build with BuildKit through the docker CLI (host network); returns the image ID."""
    argv = [
        DOCKER_CLI,
        "build",
        "--network",
        "host",
        "-f",
        str(dockerfile),
        "-t",
        tag,
        "--progress",
        "plain",
        str(context),
    ]
    env = dict(os.environ, DOCKER_BUILDKIT="1")
    done = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-15:])
        raise BuilderError(f"docker build (BuildKit) failed with status {done.returncode}:\n{tail}")
    say(f"built {tag} with BuildKit")
    inspect = subprocess.run(
        [DOCKER_CLI, "image", "inspect", tag], capture_output=True, text=True, check=False
    )
    if inspect.returncode != 0:
        raise BuilderError(f"cannot inspect {tag} after the build: {inspect.stderr.strip()}")
    return str(json.loads(inspect.stdout)[0]["Id"])


def export_from_daemon(tag: str, output: Path, layout_tag: str) -> None:
    """Copy the daemon's image into an OCI layout folder with skopeo."""
    output.mkdir(parents=True, exist_ok=True)
    argv = ["skopeo", "copy", "--quiet", f"docker-daemon:{tag}", f"oci:{output}:{layout_tag}"]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BuilderError(
            f"skopeo could not copy {tag} out of the daemon: {done.stderr.strip()[-500:]}"
        )
