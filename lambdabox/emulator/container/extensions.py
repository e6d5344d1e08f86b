"""A container image's external extensions: found in its /opt/extensions, each run inside
the container with `docker exec`, its output forwarded line by line."""

from __future__ import annotations

import contextlib
import io
import tarfile
from collections.abc import Callable
from typing import Any

from lambdabox.emulator.container.docker_sdk import is_api_error


def list_extensions(container: Any, directory: str = "/opt/extensions") -> list[str]:
    """Executables in the image's extensions directory, read from its filesystem
    (no shell or `ls` needed in the image)."""
    try:
        chunks, _ = container.get_archive(directory)
        data = b"".join(chunks)
    except Exception as exc:
        if is_api_error(exc, 404):
            return []
        raise
    found = []
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        for member in archive.getmembers():
            parts = member.name.split("/")
            if len(parts) == 2 and member.isfile() and member.mode & 0o111:
                found.append(f"{directory}/{parts[1]}")
    return sorted(found)


def exec_extension(
    container: Any, path: str, env: dict[str, str], user: str, emit: Callable[[str], None]
) -> None:
    """Blocking: exec one extension in `container`, `emit` each line of its output
    (stdout and stderr), return once it has exited (or could not be run)."""
    pending = b""
    sock: Any = None
    with contextlib.suppress(Exception):
        from docker.utils.socket import frames_iter  # type: ignore[import-untyped]

        api = container.client.api
        exec_id = api.exec_create(
            container.id, [path], environment=env, user=user, stdout=True, stderr=True
        )["Id"]
        # A raw socket (closed below) rather than exec_run's stream, which leaks it.
        sock = api.exec_start(exec_id, socket=True)
        for _stream, chunk in frames_iter(sock, False):
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                emit(line.decode("utf-8", "replace"))
    if sock is not None:
        for part in (sock, getattr(sock, "_sock", None), getattr(sock, "_response", None)):
            with contextlib.suppress(Exception):
                if part is not None:
                    part.close()
    if pending:
        emit(pending.decode("utf-8", "replace"))
