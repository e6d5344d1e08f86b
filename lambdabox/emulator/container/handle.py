"""A runtime running as a container: the emulator's RuntimeHandle for `ContainerDriver`.

It follows the container's output (stdout and stderr, then its exit status) in a thread of
its own, runs the image's extensions inside it, samples its peak memory from its cgroup,
stops it (SIGTERM, then SIGKILL) and removes it once it has stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from lambdabox.emulator.cgroup import (
    MemoryProbe,
    catches_sigterm,
    cgroup_candidates,
    cgroup_procs,
    read_pids,
)
from lambdabox.emulator.container.docker_sdk import exit_status, is_api_error
from lambdabox.emulator.container.drain import StreamClock
from lambdabox.emulator.container.extensions import exec_extension
from lambdabox.emulator.container.logstream import LineSplitter, follow_logs
from lambdabox.emulator.driver import LineSink
from lambdabox.emulator.sandbox.peers import namespace_members

if TYPE_CHECKING:
    from lambdabox.emulator.container.driver import ContainerDriver

START_FAILED = 127  # the exit status reported when Docker could not start the container
_MIB = 1024 * 1024
_T = TypeVar("_T")


class RuntimeContainer:
    """A runtime running as a container; implements the emulator's RuntimeHandle."""

    def __init__(
        self,
        driver: ContainerDriver,
        container: Any,
        name: str,
        on_line: LineSink,
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
        self._procs: Path | None = None
        self._sampler: asyncio.Future[None] | None = None
        self._follower: threading.Thread | None = None
        self._reader: asyncio.Future[None] | None = None
        self._extensions_running = 0
        self._on_extensions_change: Callable[[], None] | None = None
        self._clock = StreamClock()  # how far the log stream has caught up
        self.started_at = time.monotonic()  # when its creation began (Init Duration counts)

    def _on_line(self, line: str, written_at: float | None = None) -> None:
        """On the loop: a line of the container's output (runtime or extension), with the
        time Docker read it from the container (wall clock) when the stream carries it."""
        self._clock.saw(written_at)
        self._forward(line, written_at)

    @property
    def stamps_output(self) -> bool:
        """Docker stamps every line of the log stream with the time it was written."""
        return True

    @property
    def id(self) -> str:
        return str(self._container.id) if self._container is not None else ""

    @property
    def returncode(self) -> int | None:
        return self._returncode

    # -- start -----------------------------------------------------------------------

    def _started(self, stream: Any, pid: int | None, log_socket: str | None = None) -> None:
        """Called on the loop once the container runs: measure it and follow its output,
        on the loop from Docker's `log_socket` when given, else `stream` in a thread."""
        self._pid = pid
        candidates = cgroup_candidates(self.id, pid)
        self._probe = MemoryProbe(candidates)
        self._procs = cgroup_procs(candidates)
        self._sampler = asyncio.ensure_future(self._sample())
        if log_socket is not None:
            self._reader = asyncio.ensure_future(self._follow_on_loop(log_socket))
            self._driver.track_reader(self._reader)
            return
        self._follower = threading.Thread(
            target=self._follow, args=(stream,), name=f"logs-{self.name}", daemon=True
        )
        self._driver.track(self._follower)
        self._follower.start()

    async def _follow_on_loop(self, log_socket: str) -> None:
        """Read the output on the loop (no thread, no wake-up per line); then (in a
        thread) the exit status, and remove the container."""
        lines = LineSplitter(self._stamped_line)
        with contextlib.suppress(Exception):  # removed under us: its exit is what matters
            await follow_logs(log_socket, self.id, lines.feed)
        lines.flush()
        # Its exit status and removal in a thread of their own (as the SDK path does),
        # so that no task is left waiting on them when the loop stops.
        thread = threading.Thread(target=self._finish, name=f"exit-{self.name}", daemon=True)
        self._driver.track(thread)
        thread.start()

    def _stamped_line(self, raw: bytes, written_at: float | None) -> None:
        self._on_line(raw.decode("utf-8", "replace"), written_at)

    def _exit_status(self) -> int:
        """Thread: the container's exit status once it has stopped."""
        code = -signal.SIGKILL  # when the status is lost (force-removed meanwhile)
        with contextlib.suppress(Exception):
            code = exit_status(int(self._container.wait()["StatusCode"]))
        return code

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
        exec_extension(
            self._container, path, env, user, lambda line: self._deliver(self._on_line, line)
        )
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

    def members(self) -> list[int]:
        """The container's processes (its cgroup's; else its PID namespace's, a scan)."""
        if self._procs is not None:
            return read_pids(self._procs)
        return namespace_members(self._pid) if self._pid else []

    def _failed(self, message: str) -> None:
        """Docker could not start it: report a runtime that exited at once."""
        self._on_line(message)
        self._exited(START_FAILED)

    def _follow(self, stream: Any) -> None:
        """Thread: stream stdout+stderr lines to the loop, then the exit status, then remove
        (the docker SDK's stream, when Docker's socket cannot be read on the loop)."""
        lines = LineSplitter(self._deliver_line)
        try:
            try:
                for chunk in stream:
                    lines.feed(chunk)
            finally:
                with contextlib.suppress(Exception):
                    stream.close()
        except Exception:  # the container was removed under us: its exit is what matters
            pass
        lines.flush()
        self._finish()

    def _finish(self) -> None:
        """Thread: the exit status to the loop, then remove the container."""
        self._deliver(self._exited, self._exit_status())
        self._remove_sync()

    def _deliver_line(self, raw: bytes, written_at: float | None) -> None:
        text = raw.decode("utf-8", "replace")
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody listens
            self._loop.call_soon_threadsafe(self._on_line, text, written_at)

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
        self._clock.release_all()
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
        """Let output already written arrive: through Docker it trails the runtime's HTTP
        calls by about a millisecond (more while the log stream warms up). Done as soon as
        a line stamped after this moment has arrived (the stream has caught up), else once
        no line came for `grace_s` (`first_s` before the stream's first line), at most
        50 ms. One timer per wait: no polling."""
        if self._returncode is not None:
            return
        moment, clock = time.time(), self._clock
        limit, started = (grace_s if clock.lines else first_s), time.monotonic()
        while True:
            seen = clock.lines
            if await clock.reach(moment, limit) or clock.lines == seen:
                return  # caught up, or quiet for a whole `limit`
            if time.monotonic() - started >= 0.05:
                return  # lines keep coming (stamped before now): 50 ms at most
            limit = grace_s

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
            try:
                self._container.kill(signal=signame)
            except Exception as exc:
                if not is_api_error(exc):
                    raise  # else: not running any more

        await self._driver.call(kill)
