"""Runtimes as Docker containers: the image's own entrypoint, hardened like the service.

Each environment's runtime is a container on the host network (it reaches its Runtime API
on 127.0.0.1), as a non-root user, with a read-only root filesystem, a tmpfs /tmp, no
capabilities, no privilege escalation, and memory/pids limits. Its output is streamed to
the emulator; its peak memory is read from its cgroup; it is removed once it has stopped.

The driver talks to Docker through a narrow port so that a fake client can stand in:
`client.containers.create/get/list`, `container.start/wait/kill/remove/logs/reload` and
`client.images.get`. Blocking calls never run on the event loop: they go through an
executor, and each container's log stream (and its exit) is followed in a thread of its own.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import io
import signal
import tarfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from lambdabox.emulator.cgroup import MemoryProbe, catches_sigterm, cgroup_candidates

RUN_LABEL = "lambdabox.run"
START_FAILED = 127  # the exit status reported when Docker could not start the container
_MIB = 1024 * 1024
_T = TypeVar("_T")


def docker_errors() -> Any:
    """The docker SDK's `errors` module, imported only when containers are used."""
    import docker  # type: ignore[import-untyped]

    return docker.errors


def default_client() -> Any:
    import docker

    return docker.from_env()


def exit_status(code: int) -> int:
    """Docker reports death by signal N as 128+N; handles report -N, as subprocess does."""
    if 128 < code <= 128 + 64:
        try:
            return -int(signal.Signals(code - 128))
        except ValueError:
            return code
    return code


def list_extensions(container: Any, directory: str = "/opt/extensions") -> list[str]:
    """Executables in the image's extensions directory, read from its filesystem
    (no shell or `ls` needed in the image)."""
    errors = docker_errors()
    try:
        chunks, _ = container.get_archive(directory)
        data = b"".join(chunks)
    except errors.NotFound:
        return []
    found = []
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        for member in archive.getmembers():
            parts = member.name.split("/")
            if len(parts) == 2 and member.isfile() and member.mode & 0o111:
                found.append(f"{directory}/{parts[1]}")
    return sorted(found)


class RuntimeContainer:
    """A runtime running as a container; implements the emulator's RuntimeHandle."""

    def __init__(
        self,
        driver: ContainerDriver,
        container: Any,
        name: str,
        on_line: Callable[[str], None],
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self._driver = driver
        self._container = container
        self.name = name
        self._forward = on_line
        self._loop = loop
        self._exit: asyncio.Future[int] = loop.create_future()
        self._returncode: int | None = None
        self._removed = container is None
        self._stop_lock = asyncio.Lock()
        self._peak = 0
        self._read_at = 0.0
        self._pid: int | None = None
        self._probe = MemoryProbe(())
        self._sampler: asyncio.Future[None] | None = None
        self._follower: threading.Thread | None = None
        self._extensions_running = 0
        self._on_extensions_change: Callable[[], None] | None = None
        self._lines_seen = 0
        self._last_line_at = 0.0

    def _on_line(self, line: str) -> None:
        """On the loop: a line of the container's output (runtime or extension)."""
        self._lines_seen += 1
        self._last_line_at = self._loop.time()
        self._forward(line)

    @property
    def id(self) -> str:
        return str(self._container.id) if self._container is not None else ""

    @property
    def returncode(self) -> int | None:
        return self._returncode

    # -- start -----------------------------------------------------------------------

    def _started(self, stream: Any, pid: int | None) -> None:
        """Called on the loop once the container runs: measure it and follow its output."""
        self._pid = pid
        self._probe = MemoryProbe(cgroup_candidates(self.id, pid))
        self._sampler = asyncio.ensure_future(self._sample())
        self._follower = threading.Thread(
            target=self._follow, args=(stream,), name=f"logs-{self.name}", daemon=True
        )
        self._driver.track(self._follower)
        self._follower.start()

    def _start_extensions(self, paths: Sequence[str], env: Mapping[str, str], user: str) -> None:
        """External extensions of the image (/opt/extensions), run inside the container."""
        self._extensions_running = len(paths)
        for path in paths:
            thread = threading.Thread(
                target=self._run_extension,
                args=(path, dict(env), user),
                name=f"extension-{self.name}",
                daemon=True,
            )
            self._driver.track(thread)
            thread.start()

    def _run_extension(self, path: str, env: dict[str, str], user: str) -> None:
        """Thread: exec one extension and forward its output until it exits."""
        pending = b""
        sock: Any = None
        with contextlib.suppress(Exception):
            from docker.utils.socket import frames_iter  # type: ignore[import-untyped]

            api = self._container.client.api
            exec_id = api.exec_create(
                self._container.id, [path], environment=env, user=user, stdout=True, stderr=True
            )["Id"]
            # A raw socket (closed below) rather than exec_run's stream, which leaks it.
            sock = api.exec_start(exec_id, socket=True)
            for _stream, chunk in frames_iter(sock, False):
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    self._deliver(self._on_line, line.decode("utf-8", "replace"))
        if sock is not None:
            for part in (sock, getattr(sock, "_sock", None), getattr(sock, "_response", None)):
                with contextlib.suppress(Exception):
                    if part is not None:
                        part.close()
        if pending:
            self._deliver(self._on_line, pending.decode("utf-8", "replace"))
        self._deliver(self._extension_exited, path)

    def _extension_exited(self, _path: str) -> None:
        self._extensions_running -= 1
        if self._on_extensions_change is not None:
            self._on_extensions_change()

    def watch_extensions(self, on_change: Callable[[], None]) -> int:
        """How many extensions are running in the container; `on_change` on each exit."""
        self._on_extensions_change = on_change
        return self._extensions_running

    @property
    def extensions_running(self) -> int:
        return self._extensions_running

    def _failed(self, message: str) -> None:
        """Docker could not start it: report a runtime that exited at once."""
        self._on_line(message)
        self._exited(START_FAILED)

    def _follow(self, stream: Any) -> None:
        """Thread: stream stdout+stderr lines to the loop, then the exit status, then remove."""
        container = self._container
        pending = b""
        try:
            try:
                for chunk in stream:
                    pending += chunk
                    *lines, pending = pending.split(b"\n")
                    for line in lines:
                        self._deliver(self._on_line, line.decode("utf-8", "replace"))
            finally:
                with contextlib.suppress(Exception):
                    stream.close()
        except Exception:  # the container was removed under us: its exit is what matters
            pass
        if pending:
            self._deliver(self._on_line, pending.decode("utf-8", "replace"))
        code = -signal.SIGKILL  # when the status is lost (force-removed meanwhile)
        with contextlib.suppress(Exception):
            code = exit_status(int(container.wait()["StatusCode"]))
        self._deliver(self._exited, code)
        self._remove_sync()

    def _deliver(self, callback: Callable[[_T], None], value: _T) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody listens
            self._loop.call_soon_threadsafe(callback, value)

    def _exited(self, code: int) -> None:
        if self._exit.done():
            return
        self._returncode = code
        self._peak = max(self._peak, self._probe.read())
        if self._sampler is not None:
            self._sampler.cancel()
        self._exit.set_result(code)

    def _remove_sync(self) -> None:
        if self._removed or self._container is None:
            return
        with contextlib.suppress(Exception):
            self._container.remove(force=True)
        self._removed = True
        self._driver.forget(self.id)

    # -- RuntimeHandle ---------------------------------------------------------------

    async def wait(self) -> int:
        return await asyncio.shield(self._exit)

    async def drain_output(self, grace_s: float = 0.002, first_s: float = 0.015) -> None:
        """Give output already written a moment to arrive: through Docker it trails the
        runtime's HTTP calls by about a millisecond (more while the log stream warms up).
        Keeps waiting, up to 50 ms, while lines are still arriving."""
        if self._returncode is not None:
            return
        loop = asyncio.get_running_loop()
        started = loop.time()
        await asyncio.sleep(grace_s if self._lines_seen else first_s)
        while loop.time() - self._last_line_at < grace_s and loop.time() - started < 0.05:
            await asyncio.sleep(grace_s)

    async def _sample(self, every_s: float = 0.2) -> None:
        """Keep the figure while the cgroup exists: it goes when the container stops."""
        while self._returncode is None:
            self._peak = max(self._peak, self._probe.read())
            await asyncio.sleep(every_s)

    def peak_memory_mb(self) -> int:
        """Max memory used so far, MB rounded up: the cgroup's high-water mark (or its
        usage, sampled), read at most every 50 ms."""
        now = time.monotonic()
        if self._returncode is None and now - self._read_at > 0.05:
            self._read_at = now
            self._peak = max(self._peak, self._probe.read())
        return -(-self._peak // _MIB)

    async def stop(self, grace_s: float) -> None:
        """SIGTERM, SIGKILL after `grace_s` (at once when 0), wait, remove. Idempotent."""
        async with self._stop_lock:
            if self._returncode is None and self._container is not None:
                if grace_s > 0 and catches_sigterm(self._pid, self.id):
                    await self._kill("SIGTERM")
                    with contextlib.suppress(asyncio.TimeoutError):
                        await asyncio.wait_for(asyncio.shield(self._exit), grace_s)
                if self._returncode is None:
                    await self._kill("SIGKILL")
                await self.wait()
            if not self._removed:
                await self._driver.call(self._remove_sync)

    async def _kill(self, signame: str) -> None:
        def kill() -> None:
            with contextlib.suppress(docker_errors().APIError):  # not running any more
                self._container.kill(signal=signame)

        await self._driver.call(kill)


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
        self._lock = threading.Lock()
        self._count = 0
        self._closed = False  # no container may be started any more
        self._shut = False  # close() has run
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

    def forget(self, container_id: str) -> None:
        with self._lock:
            self._created.pop(container_id, None)

    async def call(self, fn: Callable[..., _T], *args: Any) -> _T:
        """Run a blocking Docker call off the event loop."""
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
            "tmpfs": {"/tmp": f"rw,size={self.tmp_size_mb}m,mode=1777"},
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
        extensions = list_extensions(container)
        with self._lock:
            self._created[container.id] = name
            closed = self._closed
        stream = None
        try:
            if closed:
                raise RuntimeError("the driver was closed while the container was created")
            container.start()
            stream = container.logs(stream=True, follow=True)
            container.reload()
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

    async def spawn(
        self, env: Mapping[str, str], on_line: Callable[[str], None], index: int
    ) -> RuntimeContainer:
        loop = asyncio.get_running_loop()
        with self._lock:
            self._count += 1
            name = f"lambdabox-{self.run_id}-{index}-{self._count}"
        try:
            container, stream, pid, extensions = await self.call(self._start, env, name, index)
        except Exception as exc:
            failed = RuntimeContainer(self, None, name, on_line, loop)
            failed._failed(f"lambdabox: cannot start container {name}: {describe_error(exc)}")
            return failed
        handle = RuntimeContainer(self, container, name, on_line, loop)
        handle._started(stream, pid)
        handle._start_extensions(extensions, {**env, **self.extra_env}, self.user)
        return handle

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


def describe_error(exc: BaseException) -> str:
    """One line for a Docker error: the daemon's explanation when it gave one."""
    text = str(getattr(exc, "explanation", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
