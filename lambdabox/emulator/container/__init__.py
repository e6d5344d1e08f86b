"""The emulator's container mode: each execution environment's runtime in a Docker container.

`driver` (`ContainerDriver`: creating, hardening and cleaning up containers; the emulator's
`Driver` for container mode), `handle` (`RuntimeContainer`: one running container),
`extensions` (the image's /opt/extensions), `docker_sdk` (the docker SDK at arm's length)
and `cli` (`lambdabox run IMAGE`). The only part of the emulator that needs docker, so it is
left out of the emulator bundled into base images; it may import the rest of
`lambdabox.emulator`, and nothing in `lambdabox.emulator` outside this folder imports it.
The driver's names are re-exported here.
"""

from __future__ import annotations

from lambdabox.emulator.container.driver import (
    RUN_LABEL,
    START_FAILED,
    ContainerDriver,
    RuntimeContainer,
    default_client,
    describe_error,
    docker_errors,
    exit_status,
    list_extensions,
)

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
