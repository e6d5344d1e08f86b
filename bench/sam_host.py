"""`sam` with its Lambda containers on the host network, run by the aws-sam-cli bench
venv's Python: `python sam_host.py local start-lambda ...`.

This machine's Docker has no bridge network (dockerd --bridge=none), so SAM's way of
reaching aws-lambda-rie in its containers (a published port) cannot work here. Two
patches, applied in this process only, put each container on the host network instead:
the container is created with network_mode=host (and without port bindings, which Docker
refuses there), and aws-lambda-rie is told to listen on 127.0.0.1 at the very port SAM
calls (with its Runtime API on a free port). Nothing else of SAM changes.
"""

from __future__ import annotations

import socket
import sys
from typing import Any

RIE = "/var/rapid/aws-lambda-rie"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def patch() -> None:
    import docker.models.containers as models  # type: ignore[import-untyped,import-not-found,unused-ignore]
    import samcli.local.docker.container as sam  # type: ignore[import-untyped,import-not-found,unused-ignore]

    create = sam.Container.create

    def create_on_host(self: Any, *args: Any, **kwargs: Any) -> Any:
        self._container_opts = {**(self._container_opts or {}), "network_mode": "host"}
        entrypoint = list(self._entrypoint or [])
        if entrypoint[:1] == [RIE]:
            entrypoint[1:1] = [
                "--runtime-interface-emulator-address",
                f"127.0.0.1:{self.rapid_port_host}",
                "--runtime-api-address",
                f"127.0.0.1:{_free_port()}",
            ]
        self._entrypoint = entrypoint
        return create(self, *args, **kwargs)

    docker_create = models.ContainerCollection.create

    def create_without_ports(self: Any, image: str, command: Any = None, **kwargs: Any) -> Any:
        if kwargs.get("network_mode") == "host":
            kwargs.pop("ports", None)
        return docker_create(self, image, command, **kwargs)

    sam.Container.create = create_on_host
    models.ContainerCollection.create = create_without_ports


if __name__ == "__main__":
    patch()
    from samcli.cli.main import cli  # type: ignore[import-untyped,import-not-found,unused-ignore]

    sys.exit(cli())
