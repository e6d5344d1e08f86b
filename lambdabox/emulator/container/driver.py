"""Runtimes as Docker containers: the image's own entrypoint, hardened like the service.

Each environment's runtime is a container on the host network (it reaches its Runtime API
on 127.0.0.1), as a non-root user, with a read-only root filesystem, a size-limited tmpfs
/tmp (exec allowed as in the service; nosuid, nodev), no capabilities, no privilege
escalation, and memory/pids limits. Its output is streamed to
the emulator; its peak memory is read from its cgroup; it is removed once it has stopped.

The driver talks to Docker through a narrow port so that a fake client can stand in:
`client.containers.create/get/list`, `container.start/wait/kill/remove/logs/reload` and
`client.images.get`. Blocking calls never run on the event loop: they go through an
executor, and each container's log stream (and its exit) is followed in a thread of its own.

Modules: this one (`ContainerDriver`: creating, hardening, cleaning up), `handle`
(`RuntimeContainer`: one running container), `extensions` (the image's /opt/extensions)
and `docker_sdk` (the docker SDK, its errors and exit statuses).
None of them is bundled into base images: they need the docker SDK.
"""

from __future__ import annotations

import atexit
import contextlib
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

from lambdabox.emulator.container.docker_sdk import (
    default_client,
    describe_error,
    docker_errors,
    docker_socket,
    exit_status,
)
from lambdabox.emulator.startup import mark

# Imported when first used, so that `lambdabox run` asks Docker for its first container
# before asyncio and the rest of the emulator are imported (see __getattr__ below).
if TYPE_CHECKING:
    import asyncio

    from lambdabox.emulator.container.extensions import list_extensions
    from lambdabox.emulator.container.handle import START_FAILED, RuntimeContainer
    from lambdabox.emulator.driver import LineSink

_LAZY = {
    "START_FAILED": "lambdabox.emulator.container.handle",
    "RuntimeContainer": "lambdabox.emulator.container.handle",
    "list_extensions": "lambdabox.emulator.container.extensions",
}


def __getattr__(name: str) -> Any:
    """The names re-exported from handle and extensions, imported on first use."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _same_env(ahead: Mapping[str, str], env: Mapping[str, str]) -> bool:
    """The container started ahead fits, whatever log stream name each was given."""
    stream = "AWS_LAMBDA_LOG_STREAM_NAME"
    return {k: v for k, v in ahead.items() if k != stream} == {
        k: v for k, v in env.items() if k != stream
    }


RUN_LABEL = "lambdabox.run"
_T = TypeVar("_T")

# Also importable from here and from the package, as before the split into modules.
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


class ContainerDriver:
    """Starts each runtime as a container of `image` (implements the emulator's Driver).

    `command` replaces the image's CMD (the entrypoint stays). `close()` removes every
    container the driver created; an atexit hook does the same if close() never ran.
    """

    def __init__(
        self,
        image: str,
        *,
        client_factory: Callable[[], Any] | None = None,
        run_id: str,
        memory_mb: int,
        command: Sequence[str] | None = None,
        user: str = "993:993",
        pids_limit: int = 512,
        tmp_size_mb: int = 512,
        extra_env: Mapping[str, str] | None = None,
    ) -> None:
        self.image = image
        self.run_id = run_id
        self.memory_mb = memory_mb
        self.command = list(command) if command is not None else None
        self.user = user
        self.pids_limit = pids_limit
        self.tmp_size_mb = tmp_size_mb
        self.extra_env = dict(extra_env or {})
        self._client_factory = client_factory or default_client
        self._client: Any = None
        self._client_lock = threading.Lock()
        self._executor = ThreadPoolExecutor(8, thread_name_prefix=f"docker-{run_id}")
        self._created: dict[str, str] = {}  # container id -> name
        self._threads: list[threading.Thread] = []
        self._readers: set[asyncio.Future[None]] = set()  # log streams read on the loop
        self._lock = threading.Lock()
        self._count = 0
        self._closed = False  # no container may be started any more
        self._shut = False  # close() has run
        # A container started ahead (start_ahead): its env, index, name, the start's future.
        self._ahead: tuple[dict[str, str], int, str, Future[Any], float] | None = None
        atexit.register(self.cleanup)

    @property
    def labels(self) -> dict[str, str]:
        return {RUN_LABEL: self.run_id}

    @property
    def client(self) -> Any:
        with self._client_lock:
            if self._client is None:
                self._client = self._client_factory()
            return self._client

    def created(self) -> list[str]:
        """Ids of the containers started and not yet removed."""
        with self._lock:
            return list(self._created)

    def track(self, thread: threading.Thread) -> None:
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()]
            self._threads.append(thread)

    def track_reader(self, reader: asyncio.Future[None]) -> None:
        self._readers.add(reader)
        reader.add_done_callback(self._readers.discard)

    def log_socket(self, container: Any) -> str | None:
        """Docker's unix socket when `container`'s output can be read on the event loop
        (a docker SDK container of a local daemon); None: the SDK's stream, in a thread."""
        own = getattr(getattr(container, "client", None), "socket_path", None)
        if isinstance(own, str):
            return own  # EngineClient's container
        if not type(container).__module__.startswith("docker."):
            return None  # a stand-in client (tests): its own stream
        return docker_socket()

    def forget(self, container_id: str) -> None:
        with self._lock:
            self._created.pop(container_id, None)

    async def call(self, fn: Callable[..., _T], *args: Any) -> _T:
        """Run a blocking Docker call off the event loop."""
        import asyncio

        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    def create_kwargs(self, env: Mapping[str, str], name: str, index: int) -> dict[str, Any]:
        """Everything `containers.create` gets: the hardening lives here."""
        return {
            "command": self.command,
            "name": name,
            "environment": {**env, **self.extra_env},
            "labels": {**self.labels, "lambdabox.environment": str(index)},
            "network_mode": "host",
            "user": self.user,
            "read_only": True,
            # The service's /tmp allows exec (Docker's default tmpfs is noexec); setuid
            # bits and device files stay inert (nosuid, nodev).
            "tmpfs": {"/tmp": f"rw,exec,nosuid,nodev,size={self.tmp_size_mb}m,mode=1777"},
            "mem_limit": f"{self.memory_mb}m",
            "memswap_limit": f"{self.memory_mb}m",  # no swap
            "pids_limit": self.pids_limit,
            "security_opt": ["no-new-privileges"],
            "cap_drop": ["ALL"],
            "init": False,
            "stdin_open": False,
            "tty": False,
        }

    def _start(
        self, env: Mapping[str, str], name: str, index: int
    ) -> tuple[Any, Any, int | None, list[str]]:
        """Thread: create and start the container, open its output stream (from the start:
        the log driver keeps what was written before); PID 1's host PID; its extensions."""
        client = self.client
        container = client.containers.create(self.image, **self.create_kwargs(env, name, index))
        mark("container created")
        from lambdabox.emulator.container.extensions import list_extensions

        with self._lock:
            self._created[container.id] = name
            closed = self._closed
        stream = None
        try:
            if closed:
                raise RuntimeError("the driver was closed while the container was created")
            container.start()
            mark("container started")
            if self.log_socket(container) is None:
                stream = container.logs(stream=True, follow=True, timestamps=True)
            container.reload()
            mark("container inspected")
            # Read once it runs: the start is not delayed by this round trip.
            extensions = list_extensions(container)
            mark("extensions listed")
        except BaseException:
            if stream is not None:
                with contextlib.suppress(Exception):
                    stream.close()
            with contextlib.suppress(Exception):
                container.remove(force=True)
            self.forget(container.id)
            raise
        pid = (container.attrs.get("State") or {}).get("Pid") or None
        return container, stream, pid, extensions

    def _name(self, index: int) -> str:
        with self._lock:
            self._count += 1
            return f"lambdabox-{self.run_id}-{index}-{self._count}"

    def start_ahead(self, env: Mapping[str, str], index: int = 0) -> None:
        """Create and start environment `index`'s container now, in a worker thread, before
        the event loop runs: Docker's create and start (the bulk of a cold start) overlap
        the emulator's own start-up. `spawn` adopts it when it asks for the same env."""
        name = self._name(index)
        future = self._executor.submit(self._start, env, name, index)
        self._ahead = (dict(env), index, name, future, time.monotonic())

    async def spawn(
        self, env: Mapping[str, str], on_line: LineSink, index: int
    ) -> RuntimeContainer:
        import asyncio

        from lambdabox.emulator.container.handle import RuntimeContainer

        loop = asyncio.get_running_loop()
        ahead, self._ahead = self._ahead, None
        started_at = time.monotonic()
        try:
            if ahead is not None and _same_env(ahead[0], env) and ahead[1] == index:
                _, _, name, future, started_at = ahead
                container, stream, pid, extensions = await asyncio.wrap_future(future)
            else:
                if ahead is not None:
                    self._discard(ahead[3])
                name = self._name(index)
                container, stream, pid, extensions = await self.call(self._start, env, name, index)
        except Exception as exc:
            failed = RuntimeContainer(self, None, name, on_line, loop)
            failed._failed(f"lambdabox: cannot start container {name}: {describe_error(exc)}")
            return failed
        handle = RuntimeContainer(self, container, name, on_line, loop)
        handle.started_at = started_at
        handle._started(stream, pid, self.log_socket(container))
        handle._start_extensions(extensions, {**env, **self.extra_env}, self.user)
        return handle

    def _discard(self, future: Future[Any]) -> None:
        """Remove a container started ahead that no environment adopted (its env differs):
        left running, its runtime would poll environment 0's Runtime API until cleanup."""

        def remove(done: Future[Any]) -> None:
            if done.cancelled() or done.exception() is not None:
                return  # nothing started, or its failure already removed it
            container = done.result()[0]
            with contextlib.suppress(Exception):
                container.remove(force=True)
            self.forget(container.id)

        def later(done: Future[Any]) -> None:
            with contextlib.suppress(RuntimeError):  # shut down: cleanup removes it
                self._executor.submit(remove, done)

        future.add_done_callback(later)

    def cleanup(self) -> None:
        """Force-remove every container of this run (blocking; also the atexit hook)."""
        with self._lock:
            self._closed = True
            known = list(self._created)
        if not known and self._client is None:
            return  # never started anything
        # Never raises: it also runs at interpreter exit, when the daemon may be gone.
        with contextlib.suppress(Exception):
            client = self.client
            with contextlib.suppress(Exception):
                found = client.containers.list(
                    all=True, filters={"label": f"{RUN_LABEL}={self.run_id}"}
                )
                known += [c.id for c in found if c.id not in known]
            for container_id in known:
                with contextlib.suppress(Exception):
                    client.containers.get(container_id).remove(force=True)
                self.forget(container_id)

    async def close(self) -> None:
        """Remove every container of this run, let the log threads finish, release Docker."""
        if self._shut:
            return
        self._shut = True
        await self.call(self.cleanup)
        import asyncio

        loop = asyncio.get_running_loop()
        readers = [reader for reader in self._readers if reader.get_loop() is loop]
        if readers:  # the log streams end once their containers are gone
            await asyncio.wait(readers, timeout=5.0)
        with self._lock:
            threads = list(self._threads)
        await self.call(_join_all, threads, 5.0)
        self._executor.shutdown(wait=False)
        atexit.unregister(self.cleanup)
        with self._client_lock:
            client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(Exception):
                client.close()


def _join_all(threads: Sequence[threading.Thread], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
