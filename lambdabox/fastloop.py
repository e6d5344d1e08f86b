"""uvloop for `--event-loop uvloop` (`pip install 'lambdabox[uvloop]'`), registered with the
emulator's `loops` by the console script for `emulate` and `run`. It lives outside
`lambdabox.emulator`, whose code is bundled into base images that hold only the standard
library; their aws-lambda-rie runs asyncio's loop.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any

from lambdabox.emulator.loops import LoopRunner
from lambdabox.emulator.loops import register as register_loop


def _available() -> bool:
    from importlib.util import find_spec

    try:
        return find_spec("uvloop") is not None
    except ValueError:  # a module object without a spec (or a None entry) stands in for it
        return False


def _run(main: Coroutine[Any, Any, Any]) -> Any:
    import uvloop

    return uvloop.run(main)


def register() -> None:
    """Make `--event-loop uvloop` available to this process's emulator."""
    register_loop("uvloop", LoopRunner(_available, _run, "uvloop: pip install 'lambdabox[uvloop]'"))
