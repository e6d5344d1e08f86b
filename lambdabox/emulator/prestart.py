"""Start-up ahead of the imports: bind the listening sockets and start the runtime before
the emulator's own modules (and asyncio) are imported, then hand both over.

The runtime boots on one core while the emulator imports on the other. Its first
`GET /next` and a caller's first invoke wait in the listening sockets' backlogs, so
nothing is lost: the servers take over those very sockets (`take_socket`) and the
process driver adopts the running runtime (`take_runtime`) when its command and
environment are the ones it would have started. Anything not taken is closed or killed by
`discard()`.

Imports only the standard library's cheap modules (os, socket): it runs first.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lambdabox.emulator.startup import mark

if TYPE_CHECKING:
    from lambdabox.emulator.sandbox.memcage import MemoryCage


@dataclass(frozen=True)
class Prestarted:
    """A runtime started ahead: its pid, the read end of its stdout+stderr pipe, when."""

    command: tuple[str, ...]
    cwd: str | None
    env: tuple[tuple[str, str], ...]
    pid: int
    output_fd: int
    started_at: float  # monotonic


_sockets: dict[tuple[str, int], socket.socket] = {}
_listening: dict[str, socket.socket] = {}  # "host:port" bound -> socket, taken or not
_runtime: list[Prestarted] = []
_taken: list[bool] = []  # non-empty once the driver asked: nothing is started ahead after
_unadopted: set[str] = set()  # Runtime API addresses of runtimes started ahead, then stopped
_lock = threading.Lock()
# pid of a runtime started ahead -> the thread making its memory cage, and what it made
_cages: dict[int, tuple[threading.Thread, list[MemoryCage]]] = {}
DEFAULT_MEMORY_MB = 3008


def memory_size(env: Mapping[str, str]) -> int:
    """The memory size (MB) an environment with `env` gets: its
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE, or the default when that is missing or malformed."""
    memory = env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "")
    return int(memory) if memory.isdigit() and int(memory) > 0 else DEFAULT_MEMORY_MB


def bind(host: str, port: int) -> tuple[str, int]:
    """Bind and listen on (host, port) now; `take_socket(host, port)` hands it over.
    Returns the bound address (the port chosen when `port` is 0)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except BaseException:
        sock.close()
        raise
    _sockets[(host, port)] = sock
    bound = sock.getsockname()
    _listening[f"{bound[0]}:{bound[1]}"] = sock
    return str(bound[0]), int(bound[1])


def take_socket(host: str, port: int) -> socket.socket | None:
    """The socket bound ahead for (host, port), once; None when there is none."""
    return _sockets.pop((host, port), None)


def spawn_runtime(command: Sequence[str], cwd: str | None, env: Mapping[str, str]) -> None:
    """Start the runtime now (its own session, stdin from /dev/null, stdout and stderr
    into one pipe), as the process driver would; `take_runtime` hands it over."""
    if cwd is not None:
        return  # posix_spawn cannot change directory: the driver starts it later
    try:  # the adopted child's exit is watched through a pidfd (Linux 5.3+)
        os.close(os.pidfd_open(os.getpid()))
    except (AttributeError, OSError):
        return
    read_fd, write_fd = os.pipe()
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_DUP2, write_fd, 1),
        (os.POSIX_SPAWN_DUP2, write_fd, 2),
        (os.POSIX_SPAWN_CLOSE, write_fd),
        (os.POSIX_SPAWN_CLOSE, read_fd),
    ]
    started = time.monotonic()
    try:
        pid = os.posix_spawnp(
            command[0], list(command), dict(env), file_actions=actions, setsid=True
        )
    except OSError:
        os.close(read_fd)
        return  # the driver will start it and report the error the usual way
    finally:
        os.close(write_fd)
    mark("runtime spawned ahead")
    _cage_ahead(pid, memory_size(env))
    items = tuple(sorted(env.items()))
    _runtime.append(Prestarted(tuple(command), cwd, items, pid, read_fd, started))


def spawn_on_first_connection(
    listening: tuple[str, int], command: Sequence[str], cwd: str | None, env: Mapping[str, str]
) -> None:
    """Lazy init: start the runtime as soon as a caller connects to the socket bound for
    `listening` (its first invoke), while the emulator may still be importing itself.
    A thread waits for the connection; it starts nothing once the driver has asked."""
    import select

    sock = _sockets.get(listening)
    if sock is None:
        return

    def watch() -> None:
        while not _taken:
            try:
                ready, _, _ = select.select([sock], [], [], 0.2)
            except (OSError, ValueError):  # closed: the emulator stopped
                return
            if ready:
                with _lock:
                    if not _taken:
                        spawn_runtime(command, cwd, env)
                return

    threading.Thread(target=watch, name="lambdabox-prestart", daemon=True).start()


def mark_first_request(listening: tuple[str, int]) -> None:
    """For the start-up phases (--log-level debug): mark when a request first waits on the
    socket bound for `listening` (the runtime's first /next, while the emulator may still
    be importing itself). A thread watches until then or until the socket is taken."""
    import select

    sock = _sockets.get(listening)
    if sock is None:
        return

    def watch() -> None:
        while listening in _sockets:
            try:
                ready, _, _ = select.select([sock], [], [], 0.05)
            except (OSError, ValueError):  # closed: the emulator stopped
                return
            if ready:
                mark("runtime's first request waiting")
                return

    threading.Thread(target=watch, name="lambdabox-first-request", daemon=True).start()


def take_runtime(
    command: Sequence[str], cwd: str | None, env: Mapping[str, str]
) -> Prestarted | None:
    """The runtime started ahead, if it is exactly the one wanted now; else None (and a
    mismatched one is stopped)."""
    with _lock:
        _taken.append(True)
    if not _runtime:
        return None
    ahead = _runtime.pop()
    if ahead.command == tuple(command) and ahead.cwd == cwd and _same_env(ahead.env, env):
        return ahead
    _stop(ahead)
    address = dict(ahead.env).get("AWS_LAMBDA_RUNTIME_API", "")
    _refuse_queued(address)
    _unadopted.add(address)
    return None


def stopped_unadopted(address: str) -> bool:
    """True once after `take_runtime` stopped a runtime started ahead for the Runtime API
    at `address` that was not wanted: it may have sent GET /next already, and that
    environment must not hand it an event."""
    if address not in _unadopted:
        return False
    _unadopted.discard(address)
    return True


def _refuse_queued(address: str) -> None:
    """Close the connections waiting in the Runtime API's backlog: they are the stopped
    runtime's (nothing else was started yet; start-ahead implies no extensions).

    Accepted later, its queued `GET /next` would be read before its end of stream and
    handed an event that then waits for the function's timeout (a journalled event
    resumed at start is ready at that very moment). Requests it got answered before
    the adoption are dropped by the environment (`adopted` is false)."""
    sock = _listening.get(address)
    if sock is None:
        return
    blocking = sock.getblocking()
    try:
        sock.setblocking(False)
        while True:
            conn, _ = sock.accept()
            conn.close()
    except OSError:  # BlockingIOError: the backlog is empty; others: closed meanwhile
        pass
    finally:
        with contextlib.suppress(OSError):
            sock.setblocking(blocking)


STREAM = "AWS_LAMBDA_LOG_STREAM_NAME"  # named per environment: the one started ahead keeps its own


def _same_env(ahead: tuple[tuple[str, str], ...], env: Mapping[str, str]) -> bool:
    return [kv for kv in ahead if kv[0] != STREAM] == sorted(
        kv for kv in env.items() if kv[0] != STREAM
    )


def discard() -> None:
    """Close what was not taken: sockets, and a runtime nobody adopted."""
    with _lock:
        _taken.append(True)
    _listening.clear()
    while _sockets:
        _sockets.popitem()[1].close()
    while _runtime:
        _stop(_runtime.pop())


def _stop(ahead: Prestarted) -> None:
    try:
        os.killpg(ahead.pid, signal.SIGKILL)
        os.waitpid(ahead.pid, 0)
    except (ProcessLookupError, ChildProcessError, PermissionError):
        pass
    os.close(ahead.output_fd)
    cage = take_cage(ahead.pid, memory_size(dict(ahead.env)))
    if cage is not None:
        cage.remove()


def _cage_ahead(pid: int, memory_mb: int) -> None:
    """Make the runtime's memory cage and move it in, in a thread, while the emulator
    imports itself: a move into a cgroup v1 takes 8-20 ms, which would otherwise fall
    between the runtime's adoption and the first answer. `take_cage` hands it over."""
    made: list[MemoryCage] = []

    def run() -> None:
        from lambdabox.emulator.sandbox.memcage import CageUnavailable, MemoryCage

        try:
            cage = MemoryCage.create("0", memory_mb)
        except CageUnavailable:
            return  # the confinement tries again, and warns
        try:
            cage.admit(pid)
        except OSError:
            cage.remove()
            return
        made.append(cage)

    thread = threading.Thread(target=run, name="cage-ahead", daemon=True)
    thread.start()
    _cages[pid] = (thread, made)


def take_cage(pid: int, memory_mb: int) -> MemoryCage | None:
    """The memory cage made for runtime `pid` when it was started ahead, with `pid` in
    it and limited to `memory_mb`; None when none was made (the caller confines it)."""
    entry = _cages.pop(pid, None)
    if entry is None:
        return None
    thread, made = entry
    thread.join(10)
    if not made:
        return None
    cage = made[0]
    if cage.limit_bytes != memory_mb * 1024 * 1024:
        # Cannot happen (adoption needs the same env, and the size comes from it): the
        # confinement then moves the runtime into a cage of its own, and the next
        # emulator's sweep removes this one.
        return None
    return cage
