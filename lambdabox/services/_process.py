"""Starting a service process and waiting until it is ready, shared by every local service.

A service `spawn`s its process(es) with its own argv, environment and log file, hands the
process and its own readiness probe to `wait_ready`, and stops it with `terminate`.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, TypeVar


class ServiceError(RuntimeError):
    """A local service could not be started; the message names the fix."""


_S = TypeVar("_S", bound="Service")


class Service:
    """A service of our own: `with SomeService() as s:` starts it, and stops it afterwards."""

    def start(self: _S) -> _S:
        """Start the service; return once it is ready."""
        raise NotImplementedError

    def stop(self) -> None:
        """Stop the service and everything it started."""
        raise NotImplementedError

    def __enter__(self: _S) -> _S:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now on `host` (the kernel's pick)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def spawn(
    argv: list[str],
    *,
    env: Mapping[str, str],
    log: str | os.PathLike[str] | None = None,
    cwd: Path | None = None,
) -> subprocess.Popen[bytes]:
    """Start `argv` in a session of its own, stdin closed, stdout and stderr appended to `log`
    (discarded without one)."""
    if log is None:
        return _popen(argv, env, subprocess.DEVNULL, cwd)
    with open(log, "ab") as out:
        return _popen(argv, env, out, cwd)


def _popen(
    argv: list[str], env: Mapping[str, str], out: int | IO[bytes], cwd: Path | None
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=out,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=cwd,
        start_new_session=True,
    )


def wait_ready(
    proc: subprocess.Popen[bytes],
    ready: Callable[[], bool],
    *,
    timeout_s: float,
    interval_s: float,
    exited: Callable[[int], str],
    timed_out: str,
) -> None:
    """Poll `ready()` until it is true; raise `ServiceError` if `proc` exits or time runs out.

    `exited(status)` builds the message for a process that ended during start, `timed_out` is
    the message when `timeout_s` passes first. The caller stops what it started on error.
    """
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        status = proc.poll()
        if status is not None:
            raise ServiceError(exited(status))
        if ready():
            return
        time.sleep(interval_s)
    raise ServiceError(timed_out)


def terminate(proc: subprocess.Popen[bytes], grace_s: float) -> None:
    """SIGTERM `proc` if it still runs; SIGKILL it if it has not exited after `grace_s`."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
