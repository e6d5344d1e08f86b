"""Runtimes as local processes: spawn, stream their output, measure memory, stop."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Protocol

from lambdabox.emulator.prestart import Prestarted
from lambdabox.emulator.sandbox.memcage import MemoryCage
from lambdabox.emulator.sandbox.peers import session_members


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(OSError):
            found.extend(int(c) for c in task.read_text().split())
    return found


def _hwm_bytes(pid: int) -> int:
    with contextlib.suppress(OSError), open(f"/proc/{pid}/status", "rb") as status:
        for line in status:
            if line.startswith(b"VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def peak_memory_bytes(pid: int) -> int:
    """Peak resident memory (VmHWM) of a process and its descendants, as Linux reports it."""
    total, stack, seen = 0, [pid], set()
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        total += _hwm_bytes(current)
        stack.extend(_children(current))
    return total


class _Child(Protocol):
    """What RuntimeProcess uses of a child: asyncio's Process, or an adopted one."""

    @property
    def pid(self) -> int: ...

    @property
    def returncode(self) -> int | None: ...

    @property
    def stdout(self) -> asyncio.StreamReader | None: ...

    async def wait(self) -> int: ...


class _Adopted:
    """A child started before the event loop ran (prestart): its output pipe read as a
    stream, its exit seen through a pidfd."""

    def __init__(self, ahead: Prestarted, loop: asyncio.AbstractEventLoop) -> None:
        self.pid = ahead.pid
        self.returncode: int | None = None
        self.stdout: asyncio.StreamReader | None = asyncio.StreamReader(limit=2**16, loop=loop)
        self._exit: asyncio.Future[int] = loop.create_future()
        self._pidfd = os.pidfd_open(ahead.pid)
        loop.add_reader(self._pidfd, self._reap, loop)
        pipe = os.fdopen(ahead.output_fd, "rb", buffering=0)
        protocol = asyncio.StreamReaderProtocol(self.stdout, loop=loop)
        self._reading = asyncio.ensure_future(loop.connect_read_pipe(lambda: protocol, pipe))

    def _reap(self, loop: asyncio.AbstractEventLoop) -> None:
        loop.remove_reader(self._pidfd)
        os.close(self._pidfd)
        with contextlib.suppress(ChildProcessError):
            _, status = os.waitpid(self.pid, 0)
            self.returncode = os.waitstatus_to_exitcode(status)
        if self.returncode is None:
            self.returncode = -signal.SIGKILL
        self._exit.set_result(self.returncode)

    async def wait(self) -> int:
        return await asyncio.shield(self._exit)


class RuntimeProcess:
    """A runtime started as a process group; its merged stdout/stderr go to `on_line`."""

    def __init__(self, proc: _Child, on_line: Callable[[str], None]) -> None:
        self.started_at = time.monotonic()
        self._proc = proc
        self._on_line = on_line
        self._peak = 0
        self._read_at = 0.0
        self.cage: MemoryCage | None = None
        """The cgroup enforcing its memory size, when the emulator could make one."""
        self._reader = asyncio.ensure_future(self._pump())
        self._sampler = asyncio.ensure_future(self._sample())

    @classmethod
    async def spawn(
        cls,
        command: Sequence[str],
        *,
        cwd: str | None,
        env: Mapping[str, str],
        on_line: Callable[[str], None],
    ) -> RuntimeProcess:
        proc = await asyncio.create_subprocess_exec(
            *command,
            cwd=cwd,
            env=dict(env),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
        return cls(proc, on_line)

    @classmethod
    def adopt(cls, ahead: Prestarted, on_line: Callable[[str], None]) -> RuntimeProcess:
        """The runtime `prestart` started before the emulator's imports."""
        adopted = cls(_Adopted(ahead, asyncio.get_running_loop()), on_line)
        adopted.started_at = ahead.started_at
        return adopted

    @property
    def pid(self) -> int:
        return self._proc.pid

    @property
    def returncode(self) -> int | None:
        return self._proc.returncode

    async def _pump(self) -> None:
        stream = self._proc.stdout
        assert stream is not None
        while True:
            try:
                line = await stream.readline()
            except ValueError:  # a line over the stream limit: pass it on in pieces
                line = await stream.read(65536)
            if not line:
                return
            self._on_line(line.decode("utf-8", "replace").rstrip("\n"))

    async def wait(self) -> int:
        code = await self._proc.wait()
        self._sampler.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader
        return code

    @property
    def stamps_output(self) -> bool:
        """Its output is read from a pipe: drain_output() gets what was written."""
        return False

    def watch_extensions(self, on_change: Callable[[], None]) -> int:
        """A local process starts no extensions itself (the emulator does)."""
        return 0

    @property
    def extensions_running(self) -> int:
        return 0

    def members(self) -> list[int]:
        """Its cage's processes; without a cage, its session's (it leads one): a scan."""
        if self.cage is not None:
            return self.cage.procs()
        return self.session()

    def session(self) -> list[int]:
        """The processes of its session (it leads one), children forked before it was
        moved into its cage included: a scan of /proc."""
        if self._proc.returncode is not None:
            return []
        return session_members({self._proc.pid})

    async def drain_output(self) -> None:
        """Forward output the runtime wrote before its last API call: it is in the pipe
        already, so a few event-loop turns get it read and passed on."""
        for _ in range(3):
            await asyncio.sleep(0)

    async def _sample(self, every_s: float = 0.2) -> None:
        """Track the whole tree's peak in the background; children may come and go."""
        while self._proc.returncode is None:
            self._peak = max(self._peak, peak_memory_bytes(self._proc.pid))
            await asyncio.sleep(every_s)

    def peak_memory_mb(self) -> int:
        """Max memory used so far, in MB (rounded up).

        The whole tree is sampled in the background; the runtime's own high-water mark is
        read here too, at most every 50 ms, so that a busy emulator is not slowed down.
        """
        now = time.monotonic()
        if self._proc.returncode is None and now - self._read_at > 0.05:
            self._read_at = now
            self._peak = max(self._peak, _hwm_bytes(self._proc.pid))
        if self.cage is not None:  # its cgroup keeps the peak of an out-of-memory kill;
            # resident pages charged elsewhere (shared libraries) cannot take it past the size
            self._peak = min(max(self._peak, self.cage.peak_bytes()), self.cage.limit_bytes)
        return -(-self._peak // (1024 * 1024))

    def signal(self, signum: int) -> None:
        """Signal the whole process group (the runtime and anything it started)."""
        if self._proc.returncode is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self._proc.pid, signum)

    async def stop(self, grace_s: float) -> None:
        """SIGTERM, then SIGKILL after `grace_s` (at once when grace is 0)."""
        if grace_s > 0:
            self.signal(signal.SIGTERM)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._proc.wait()), grace_s)
        self.signal(signal.SIGKILL)
        await self.wait()


def describe_exit(code: int) -> str:
    """The service's wording: 'exit status N' or 'signal: killed'."""
    if code >= 0:
        return f"exit status {code}"
    names = {
        signal.SIGKILL: "killed",
        signal.SIGTERM: "terminated",
        signal.SIGSEGV: "segmentation fault",
        signal.SIGABRT: "aborted",
    }
    return "signal: " + names.get(signal.Signals(-code), signal.Signals(-code).name.lower())
