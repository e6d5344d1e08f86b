"""The running functions of an application: one emulator (a pool of environments) each.

`FunctionSet.start(specs)` builds what container mode needs, starts an `Emulator` per
function on the running loop and keeps each function's recent log lines (for `app.logs`
in tests); `close()` stops the environments and removes every container.
"""

from __future__ import annotations

import asyncio
import collections
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from lambdabox.app.launch import LaunchSettings, container_config, process_config
from lambdabox.app.spec import FunctionSpec
from lambdabox.emulator.config import EmulatorConfig
from lambdabox.emulator.server import Emulator

KEEP_LINES = 2000


class FunctionLogs:
    """Each function's log lines, printed with the function's name and kept for a while."""

    def __init__(self, echo: Callable[[str], None] | None) -> None:
        self._echo = echo
        self._lock = threading.Lock()
        self._lines: dict[str, collections.deque[str]] = {}

    def writer(self, name: str) -> Callable[[str], None]:
        with self._lock:
            kept = self._lines.setdefault(name, collections.deque(maxlen=KEEP_LINES))

        def write(text: str) -> None:
            lines = text.split("\n")
            with self._lock:
                kept.extend(lines)
            if self._echo is not None:
                self._echo("\n".join(f"[{name}] {line}" for line in lines))

        return write

    def lines(self, name: str) -> list[str]:
        with self._lock:
            return list(self._lines.get(name, ()))


def _stdout(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


class FunctionSet:
    """Emulators for a list of function specs, in one mode."""

    def __init__(
        self,
        settings: LaunchSettings,
        scratch: Path,
        logs: FunctionLogs,
        say: Callable[[str], None],
    ) -> None:
        self.settings = settings
        self._scratch = scratch
        self._logs = logs
        self._say = say
        self.emulators: dict[str, Emulator] = {}
        self.specs: dict[str, FunctionSpec] = {}

    def _config(self, spec: FunctionSpec) -> EmulatorConfig:
        if self.settings.mode == "process":
            return process_config(spec, self.settings, self._scratch)
        from lambdabox.app.images import build_image

        image = build_image(spec, self._scratch, self._say)
        return container_config(spec, self.settings, image)

    async def start(self, specs: Sequence[FunctionSpec]) -> None:
        """Build (container mode, off the loop) and start every function's emulator."""
        loop = asyncio.get_running_loop()
        for spec in specs:
            config = await loop.run_in_executor(None, self._config, spec)
            emulator = Emulator(config, log=self._logs.writer(spec.path), notes=self._say)
            self.emulators[spec.path] = emulator
            self.specs[spec.path] = spec
            await emulator.start()

    async def close(self) -> None:
        """Stop every environment (and remove every container), in parallel."""
        emulators = list(self.emulators.values())
        self.emulators.clear()
        await asyncio.gather(*(_close(e) for e in emulators), return_exceptions=True)


async def _close(emulator: Emulator) -> None:
    await emulator.close()
    driver = emulator.config.driver
    close = getattr(driver, "close", None)
    if close is not None:
        await close()
