"""The emulator's container mode: each execution environment's runtime in a Docker container.

`driver` (`ContainerDriver`: creating, hardening and cleaning up containers; the emulator's
`Driver` for container mode), `handle` (`RuntimeContainer`: one running container),
`extensions` (the image's /opt/extensions), `engine` (`EngineClient`: the driver's few
Docker Engine API calls over the unix socket with http.client), `logstream` (a container's
output read on the event loop), `drain` (waiting for that stream to catch up),
`docker_sdk` (the docker SDK at arm's length: exec, TCP hosts) and `cli` (`lambdabox run
IMAGE`). The only part of the emulator that needs docker, so it is left out of the
emulator bundled into base images; it may import the rest of `lambdabox.emulator`, and
nothing in `lambdabox.emulator` outside this folder imports it. The driver's names are
re-exported here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lambdabox.emulator.container.driver import (
    RUN_LABEL,
    ContainerDriver,
    default_client,
    describe_error,
    docker_errors,
    exit_status,
)

if TYPE_CHECKING:
    from lambdabox.emulator.container.driver import (
        START_FAILED,
        RuntimeContainer,
        list_extensions,
    )


def __getattr__(name: str) -> Any:
    """START_FAILED, RuntimeContainer, list_extensions: imported on first use (they need
    asyncio, which `lambdabox run` imports only once Docker is creating its container)."""
    from lambdabox.emulator.container import driver

    return getattr(driver, name)


__all__ = [
    "RUN_LABEL",
    "START_FAILED",
    "ContainerDriver",
    "RuntimeContainer",
    "default_client",
    "describe_error",
    "docker_errors",
    "exit_status",
    "list_extensions",
]
