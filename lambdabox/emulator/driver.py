"""How an environment's runtime is started: the narrow port between the emulator and
processes or containers. A driver starts one runtime; the handle stops and measures it."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from lambdabox.emulator import prestart
from lambdabox.emulator.process import RuntimeProcess


class LineSink(Protocol):
    """Where a runtime's output goes, a line at a time; `written_at` (wall clock, seconds)
    is when the line was written, when the driver knows it (a container's log stream)."""

    def __call__(self, line: str, written_at: float | None = None) -> None: ...


class RuntimeHandle(Protocol):
    """A started runtime (process or container)."""

    @property
    def stamps_output(self) -> bool:
        """True when its lines come with the time they were written: an environment can
        then take its next invocation at once and attribute late lines by that time,
        instead of waiting for them (drain_output) first."""
        ...

    @property
    def returncode(self) -> int | None: ...

    async def wait(self) -> int:
        """Exit status once it has stopped (negative: killed by that signal)."""
        ...

    def peak_memory_mb(self) -> int:
        """Max memory used so far, MB rounded up."""
        ...

    async def drain_output(self) -> None:
        """Let output written before the runtime's last API call reach the log."""
        ...

    def watch_extensions(self, on_change: Callable[[], None]) -> int:
        """Extensions the runtime's sandbox started itself (a container's /opt/extensions);
        `on_change` is called when one exits. Returns how many are running."""
        ...

    @property
    def extensions_running(self) -> int: ...

    def members(self) -> list[int]:
        """The pids of the runtime's sandbox now: the runtime, its children, and the
        extensions the sandbox started itself (who may use its Runtime API)."""
        ...

    async def stop(self, grace_s: float) -> None:
        """SIGTERM, SIGKILL after `grace_s` (at once when 0); returns once stopped."""
        ...


class Driver(Protocol):
    """Starts runtimes. `env` is complete (AWS_LAMBDA_RUNTIME_API included)."""

    async def spawn(
        self, env: Mapping[str, str], on_line: LineSink, index: int
    ) -> RuntimeHandle: ...


@dataclass(frozen=True)
class ProcessDriver:
    """Runtimes as local processes: `command` run in `cwd`."""

    command: Sequence[str]
    cwd: str | None = None

    async def spawn(self, env: Mapping[str, str], on_line: LineSink, index: int) -> RuntimeHandle:
        ahead = prestart.take_runtime(self.command, self.cwd, env)
        if ahead is not None:  # started before the emulator's imports: adopt it
            return RuntimeProcess.adopt(ahead, on_line)
        return await RuntimeProcess.spawn(self.command, cwd=self.cwd, env=env, on_line=on_line)
