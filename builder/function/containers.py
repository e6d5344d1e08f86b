"""Build-time containers: a narrow port around the Docker SDK (`--build-sdists` uses it).

    status, output = DockerContainers().run(image, ["python3", "-V"], mounts=[], env={})

`run` loads the image into the daemon when its ID (the config digest) is missing, then runs
`argv` hardened: host networking, the caller's uid:gid, a read-only root with a tmpfs /tmp,
no capabilities, no new privileges, memory and pids limits; the container is removed after.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ..oci.errors import BuilderError
from ..oci.image import Image

__all__ = ["ContainerPort", "DockerContainers", "Mount"]


@dataclass(frozen=True)
class Mount:
    """A host path bound into the container."""

    source: Path
    target: str
    read_only: bool = True


class ContainerPort(Protocol):
    """Runs `argv` in a container of `image`; returns the exit status and the output."""

    def run(
        self, image: Image, argv: Sequence[str], *, mounts: Sequence[Mount], env: Mapping[str, str]
    ) -> tuple[int, str]: ...


class DockerContainers:
    """The Docker SDK behind `ContainerPort`; loads `image` into the daemon when missing."""

    def __init__(self, timeout: float = 900.0, memory: str = "2g") -> None:
        self.timeout = timeout
        self.memory = memory

    def run(
        self, image: Image, argv: Sequence[str], *, mounts: Sequence[Mount], env: Mapping[str, str]
    ) -> tuple[int, str]:
        try:
            import docker  # type: ignore[import-untyped]

            client = docker.from_env()
            client.ping()
        except Exception as exc:  # docker missing or no daemon
            raise BuilderError(
                f"--build-sdists needs a Docker daemon, which did not answer ({exc}): start "
                "dockerd, or pre-build the wheels and pass --pip-arg=--find-links=DIR"
            ) from exc
        try:
            _ensure_loaded(client, image, docker.errors.ImageNotFound)
            return self._run(client, image, argv, mounts, env, docker.errors.DockerException)
        finally:
            client.close()

    def _run(
        self,
        client: Any,
        image: Image,
        argv: Sequence[str],
        mounts: Sequence[Mount],
        env: Mapping[str, str],
        docker_error: type[Exception],
    ) -> tuple[int, str]:
        volumes = {
            str(m.source): {"bind": m.target, "mode": "ro" if m.read_only else "rw"} for m in mounts
        }
        try:
            container = client.containers.create(
                str(image.config_digest),
                command=list(argv[1:]),
                entrypoint=[argv[0]],
                user=f"{os.getuid()}:{os.getgid()}",
                environment=dict(env),
                volumes=volumes,
                working_dir="/tmp",
                network_mode="host",
                read_only=True,
                tmpfs={"/tmp": "rw,exec,size=2g,mode=1777"},
                mem_limit=self.memory,
                memswap_limit=self.memory,
                pids_limit=512,
                cap_drop=["ALL"],
                security_opt=["no-new-privileges"],
                labels={"lambdabox.role": "sdist-build"},
            )
        except docker_error as exc:
            raise BuilderError(f"cannot create the build container: {exc}") from exc
        try:
            try:
                container.start()
            except docker_error as exc:
                raise BuilderError(
                    f"the base image cannot run {argv[0]} ({exc}): --build-sdists needs a "
                    "Python base image with pip"
                ) from exc
            try:
                status = int(container.wait(timeout=self.timeout)["StatusCode"])
            except Exception as exc:  # requests' ReadTimeout
                raise BuilderError(
                    f"building the wheel took over {self.timeout:.0f} s and was stopped"
                ) from exc
            return status, container.logs().decode("utf-8", "replace")
        finally:
            container.remove(force=True)


def _ensure_loaded(client: Any, image: Image, not_found: type[Exception]) -> None:
    from ..oci.docker_archive import write_docker_archive

    try:
        client.images.get(str(image.config_digest))
        return
    except not_found:
        pass
    tag = f"lambdabox/build-base:{image.config_digest.hex[:12]}"
    with tempfile.TemporaryFile(prefix="lambdabox-docker-") as archive:
        write_docker_archive(image, archive, tags=[tag])
        archive.seek(0)
        client.images.load(archive)
