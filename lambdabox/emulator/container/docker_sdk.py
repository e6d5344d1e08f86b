"""The docker SDK at arm's length: imported only when containers are used, its client, its
errors in one line, and its exit statuses in the emulator's terms."""

from __future__ import annotations

import os
import signal
from typing import Any
from urllib.parse import urlparse


def docker_errors() -> Any:
    """The docker SDK's `errors` module, imported only when containers are used."""
    import docker  # type: ignore[import-untyped]

    return docker.errors


def default_client() -> Any:
    """The driver's client: the narrow Engine API client on the daemon's unix socket (no
    docker SDK import on the cold path); the docker SDK's for a TCP/SSH DOCKER_HOST."""
    from lambdabox.emulator.container.engine import EngineClient, NoDaemon

    try:
        return EngineClient()
    except NoDaemon:
        import docker

        return docker.from_env()


def is_api_error(exc: BaseException, status: int | None = None) -> bool:
    """The daemon answered with an error status (`status`, when given): the docker SDK's
    APIError and EngineError both carry `status_code`."""
    code = getattr(exc, "status_code", None)
    return isinstance(code, int) and (status is None or code == status)


def exit_status(code: int) -> int:
    """Docker reports death by signal N as 128+N; handles report -N, as subprocess does."""
    if 128 < code <= 128 + 64:
        try:
            return -int(signal.Signals(code - 128))
        except ValueError:
            return code
    return code


def describe_error(exc: BaseException) -> str:
    """One line for a Docker error: the daemon's explanation when it gave one."""
    text = str(getattr(exc, "explanation", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def docker_socket(environ: dict[str, str] | None = None) -> str | None:
    """The Docker daemon's unix socket (DOCKER_HOST or the default), None for TCP/SSH."""
    host = (environ if environ is not None else dict(os.environ)).get("DOCKER_HOST", "")
    if not host:
        return "/var/run/docker.sock"
    parsed = urlparse(host)
    return parsed.path if parsed.scheme == "unix" and parsed.path else None
