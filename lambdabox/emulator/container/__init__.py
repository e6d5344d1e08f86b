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
