"""How an execution environment starts its runtime: the `Launch` value the server builds once."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from lambdabox.emulator import prestart
from lambdabox.emulator.driver import Driver

DEFAULT_MEMORY_MB = prestart.DEFAULT_MEMORY_MB


@dataclass(frozen=True)
class Launch:
    """How to start the runtime: a driver (process or container) and its environment."""

    driver: Driver
    env: Mapping[str, str]
    extensions_dir: str | None = None
    request_log: Callable[[str], None] | None = None
    """With --log-level debug: where each Runtime API request is described."""
    warn: Callable[[str], None] | None = None
    """Where the emulator's warnings go (stderr when None)."""
    runtime_api_peers: str = "own"
    """"own": only the environment's processes may use its Runtime API; "any": anyone."""

    @property
    def memory_mb(self) -> int:
        """`AWS_LAMBDA_FUNCTION_MEMORY_SIZE` of the runtime's environment; 3008 when it is
        missing or not a positive whole number."""
        return prestart.memory_size(self.env)  # as a runtime started ahead was caged
