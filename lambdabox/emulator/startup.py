"""Where an emulator's start-up time goes: named moments on the monotonic clock (shared by
every process of the machine, so a benchmark can line them up with its own clock).

`mark()` is cheap and always on; `--log-level debug` prints the marks once the first
invocation is answered, as `lambdabox emulate: start-up NAME at SECONDS`. Imports nothing
but `time`, so the command line can mark its first moment before its own imports.
"""

from __future__ import annotations

import time

PHASES: list[tuple[str, float]] = []


def mark(name: str) -> None:
    """Record that start-up reached `name` now (only its first time counts)."""
    if all(seen != name for seen, _ in PHASES):
        PHASES.append((name, time.monotonic()))


def lines(prefix: str) -> list[str]:
    """One line per mark, in order: `{prefix}start-up NAME at SECONDS`."""
    return [f"{prefix}start-up {name} at {at:.6f}" for name, at in PHASES]
