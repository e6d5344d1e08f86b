"""The event loop the emulator serves on (`--event-loop`): asyncio's own, or another that
the command line registers (`lambdabox.fastloop`: uvloop).

asyncio's (the default) starts sooner: `lambdabox emulate` imports it with `ssl` hidden,
since neither API speaks TLS. uvloop answers warm invocations faster but imports `ssl`
and itself first: `make bench` prints both. Only the standard library here: this module
is bundled into the base images, whose aws-lambda-rie registers no other loop.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

__all__ = [
    "LOOPS",
    "LoopRunner",
    "LoopUnavailable",
    "check",
    "import_asyncio_without_tls",
    "register",
    "run",
]

LOOPS = ("asyncio", "uvloop")


class LoopUnavailable(RuntimeError):
    """The chosen loop cannot be used here (the message names the fix)."""


@dataclass(frozen=True)
class LoopRunner:
    """Another loop: whether it is installed, how to run a coroutine on it, and the fix
    to name when it is not installed."""

    available: Callable[[], bool]
    run: Callable[[Coroutine[Any, Any, Any]], Any]
    install_hint: str


_runners: dict[str, LoopRunner] = {}


def register(name: str, runner: LoopRunner) -> None:
    """Make `--event-loop NAME` run on `runner` (done by the command line, at its edge)."""
    _runners[name] = runner


def check(loop: str) -> None:
    """Raise LoopUnavailable now (before anything starts) when `loop` cannot be used."""
    if loop == "asyncio":
        return
    runner = _runners.get(loop)
    if runner is None:
        raise LoopUnavailable(
            f"--event-loop {loop} is not available in this emulator (the one bundled into "
            "base images runs asyncio's loop only): leave --event-loop at asyncio"
        )
    if not runner.available():
        raise LoopUnavailable(
            f"--event-loop {loop} needs {runner.install_hint} (or leave --event-loop at asyncio)"
        )


def run(main: Coroutine[Any, Any, Any], loop: str) -> Any:
    """Run `main` to completion on a new loop of kind `loop`, as `asyncio.run` does."""
    if loop == "asyncio":
        import asyncio

        return asyncio.run(main)
    return _runners[loop].run(main)


def import_asyncio_without_tls() -> None:
    """Import asyncio with `ssl` hidden: asyncio imports it for TLS (about 7 ms of a cold
    start), and `lambdabox emulate` never speaks TLS through asyncio: both APIs are plain
    HTTP, as aws-lambda-rie's are. `import ssl` works again right after, for clients that
    bring their own (boto3 for an Event invocation's destinations). Not for uvloop, which
    needs `ssl` itself."""
    if "asyncio" in sys.modules or "ssl" in sys.modules:
        return
    sys.modules["ssl"] = None  # type: ignore[assignment]  # makes `import ssl` fail
    try:
        import asyncio  # noqa: F401
    finally:
        del sys.modules["ssl"]
