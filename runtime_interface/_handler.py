"""Resolve a handler string ('pkg.module.function', 'dir/module.function') to a callable.

Error types and messages are byte-compatible with awslambdaric, so tooling that matches
on them works unchanged.
"""

from __future__ import annotations

import sys

from . import protocol as p
from ._errors import FaultError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any


def load_handler(handler: str) -> Callable[..., Any]:
    """Import the handler's module and return the function; raise FaultError naming the fix."""
    try:
        modname, fname = handler.rsplit(".", 1)
    except ValueError as exc:
        raise FaultError(p.MALFORMED_HANDLER_NAME, f"Bad handler '{handler}': {exc}") from None
    if modname.split(".")[0] in sys.builtin_module_names:
        raise FaultError(
            p.BUILT_IN_MODULE_CONFLICT,
            f"Cannot use built-in module {modname} as a handler module",
        )
    module = _import(modname)
    try:
        return getattr(module, fname)  # type: ignore[no-any-return]
    except AttributeError:
        raise FaultError(
            p.HANDLER_NOT_FOUND, f"Handler '{fname}' missing on module '{modname}'"
        ) from None


def _import(modname: str) -> Any:
    # importlib.import_module as awslambdaric calls it, so that an error raised by the
    # module shows the same frames (import_module's and importlib's own) in its trace.
    from importlib import import_module

    try:
        return import_module(modname.replace("/", "."))
    except ImportError as exc:
        raise FaultError(
            p.IMPORT_MODULE_ERROR, f"Unable to import module '{modname}': {exc}"
        ) from None
    except SyntaxError as exc:
        trace = [f'  File "{exc.filename}" Line {exc.lineno}\n    {exc.text}']
        raise FaultError(
            p.USER_CODE_SYNTAX_ERROR, f"Syntax error in module '{modname}': {exc}", trace
        ) from None
