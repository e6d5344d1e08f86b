"""The event loop the emulator serves on (`--event-loop`): asyncio's own, or uvloop's.

asyncio's (the default) starts sooner: `lambdabox emulate` imports it with `ssl` hidden,
since neither API speaks TLS. uvloop (`pip install 'lambdabox[uvloop]'`) answers warm
invocations faster but imports `ssl` and itself first: `make bench` prints both, and the
README says which wins what. The base images' aws-lambda-rie has only the standard
library, so it always uses asyncio's.
"""

from __future__ import annotations

import sys
from collections.abc import Coroutine
from typing import Any, TypeVar

__all__ = ["LOOPS", "LoopUnavailable", "check", "import_asyncio_without_tls", "run"]

LOOPS = ("asyncio", "uvloop")
T = TypeVar("T")


class LoopUnavailable(RuntimeError):
    """The chosen loop is not installed (the message names the fix)."""


def check(loop: str) -> None:
    """Raise LoopUnavailable now (before anything starts) when `loop` cannot be used."""
    if loop == "uvloop":
        from importlib.util import find_spec

        if find_spec("uvloop") is None:
            raise LoopUnavailable(
                "--event-loop uvloop needs uvloop: pip install 'lambdabox[uvloop]' "
                "(or leave --event-loop at asyncio)"
            )


def run(main: Coroutine[Any, Any, T], loop: str) -> T:
    """Run `main` to completion on a new loop of kind `loop`, as `asyncio.run` does."""
    if loop == "uvloop":
        import uvloop

        return uvloop.run(main)
    import asyncio

    return asyncio.run(main)


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
