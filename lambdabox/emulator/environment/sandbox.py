"""Keeping one environment's Runtime API and memory to the environment's own processes.

`EnvironmentSandbox` holds the environment's `RuntimeAPIGuard` and `Confinement` and tells
them, each time the runtime starts, which processes are the environment's: the runtime's and
its extensions'. The lifecycle in `lifecycle` drives it.
"""

from __future__ import annotations

from collections.abc import Callable

from lambdabox.emulator.driver import RuntimeHandle
from lambdabox.emulator.launch import Launch
from lambdabox.emulator.process import RuntimeProcess
from lambdabox.emulator.sandbox.confine import Confinement
from lambdabox.emulator.sandbox.guard import RuntimeAPIGuard
from lambdabox.emulator.sidecars import Sidecars


class EnvironmentSandbox:
    """The Runtime API guard and the memory confinement of environment `index`."""

    def __init__(
        self,
        index: int,
        name: str,
        launch: Launch,
        address: Callable[[], tuple[str, int]],
        sidecars: Sidecars,
        wait_s: float,
    ) -> None:
        self.guard = RuntimeAPIGuard(
            name, address, mode=launch.runtime_api_peers, warn=launch.warn, wait_s=wait_s
        )
        self._confinement = Confinement(str(index), launch.memory_mb, launch.warn)
        self._sidecars = sidecars
        self._process: RuntimeHandle | None = None

    def expect(self) -> None:
        """A runtime is being started: nobody is admitted until it runs; free the old cage."""
        self.guard.expect()
        self._confinement.release()

    def started(self, process: RuntimeHandle) -> None:
        """The runtime (and its extensions) run: confine them and admit them to the API."""
        self._process = process
        self._confinement.confine(self._local_processes())
        wider = self._sessions if isinstance(process, RuntimeProcess) else None
        self.guard.know(self._members, wider)

    def release(self) -> None:
        """The environment is closed: free the cage."""
        self._confinement.release()

    def _members(self) -> list[int]:
        """Who may use this Runtime API: the sandbox's processes, the extensions'."""
        pids = self._process.members() if self._process is not None else []
        for proc in self._sidecars.processes:
            pids += proc.members()
        return pids

    def _sessions(self) -> list[int]:
        """Process mode: the runtime's and extensions' sessions (a scan of /proc)."""
        pids: list[int] = []
        for proc in self._local_processes():
            pids += proc.session()
        return pids

    def _local_processes(self) -> list[RuntimeProcess]:
        process = self._process
        local = [process] if isinstance(process, RuntimeProcess) else []
        return local + self._sidecars.processes
