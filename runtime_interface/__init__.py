"""A Lambda runtime interface client: `python -m runtime_interface module.function`.

Standard library only, and cheap to import: the public names below load on first use.
The modules loaded before the first /next leave out `from __future__ import annotations`
(importing `__future__` is one module more at start-up) and quote the annotations that
Python 3.9 cannot evaluate; modules loaded later (error paths, logging) keep it.
"""

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ._context import LambdaContext
    from ._errors import FaultError, RuntimeAPIError, RuntimeInterfaceError
    from ._messages import ErrorPayload, InvocationRequest

__all__ = [
    "ErrorPayload",
    "FaultError",
    "InvocationRequest",
    "LambdaContext",
    "RuntimeAPIError",
    "RuntimeInterfaceError",
    "__version__",
]
__version__ = "0.1.0"

_LAZY = {
    "LambdaContext": "_context",
    "FaultError": "_errors",
    "RuntimeAPIError": "_errors",
    "RuntimeInterfaceError": "_errors",
    "ErrorPayload": "_messages",
    "InvocationRequest": "_messages",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'runtime_interface' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module("." + module, __name__), name)


def __dir__() -> list[str]:
    return sorted(__all__)
