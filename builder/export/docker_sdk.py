"""Export into a Docker daemon through the Docker SDK: `images.load` of a docker-save tarball.

Docker 20.10 cannot load a plain OCI layout, so the image is written with
`write_docker_archive` (docker-save + OCI layout in one tar, layers as stored) into a temp
file that is streamed into `client.images.load`; the archive's RepoTags tag the image.
`docker` is imported only when no client factory is given.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from ..oci.docker_archive import write_docker_archive
from ..oci.layout import read_layout
from ._errors import ExportError

__all__ = ["DockerSDKExporter"]

_FIX = "is the Docker daemon running and may this user use it (docker version)?"


class _Images(Protocol):
    def load(self, data: Any) -> Any: ...


class DockerClient(Protocol):
    """All the exporter needs of a Docker client."""

    @property
    def images(self) -> _Images: ...

    def close(self) -> None: ...


def _from_env() -> DockerClient:
    import docker  # type: ignore[import-untyped]

    client: DockerClient = docker.from_env()
    return client


class DockerSDKExporter:
    """Loads images through `client_factory()` (default: `docker.from_env`)."""

    def __init__(self, client_factory: Callable[[], DockerClient] | None = None) -> None:
        self.client_factory = client_factory or _from_env
        self.loaded: list[str] = []
        """IDs of the images loaded so far (Docker's image ID: the config digest)."""

    def export(self, layout: Path, tag: str, destination: str) -> None:
        """Load the image into the daemon as `destination` ("name:tag"; "docker-daemon:" ok)."""
        name = destination.removeprefix("docker-daemon:")
        argv = ["images.load", name]
        image = read_layout(layout, tag)
        try:
            with tempfile.TemporaryFile(prefix="lambdabox-docker-") as archive:
                write_docker_archive(image, archive, tags=[name])
                archive.seek(0)
                client = self.client_factory()
                try:
                    client.images.load(archive)
                finally:
                    client.close()
        except ExportError:
            raise
        except Exception as exc:  # the SDK's errors (docker.errors.*, requests) vary
            if type(exc).__module__.split(".")[0] not in ("docker", "requests", "urllib3"):
                raise
            raise ExportError("docker", argv, 1, str(exc), _FIX) from exc
        self.loaded.append(str(image.config_digest))
