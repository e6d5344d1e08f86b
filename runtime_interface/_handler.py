"""Resolve a handler string ('pkg.module.function', 'dir/module.function') to a callable.

Error types and messages are byte-compatible with awslambdaric, so tooling that matches
on them works unchanged.
"""

import sys

from . import protocol as p
from ._errors import FaultError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any


def load_handler(handler: str) -> "Callable[..., Any]":
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


def _import(modname: str) -> "Any":
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


def import_module(name: str) -> "Any":
    """`importlib.import_module(name)`, as awslambdaric calls it, without importing
    `importlib` (and `warnings`, ~1 ms of start-up) unless the import fails.

    `import_module` only strips leading dots and calls the import system's `_gcd_import`,
    which is always loaded; this calls it directly. When the module raises, the exception's
    traceback gets `import_module`'s frame back (`_with_import_module_frame`), so its trace
    shows the same frames as awslambdaric's: import_module's, then importlib's own.
    """
    bootstrap = sys.modules.get("_frozen_importlib")
    gcd_import = getattr(bootstrap, "_gcd_import", None)
    if gcd_import is None or name.startswith("."):  # relative names: import_module's error
        import importlib

        return importlib.import_module(name)
    try:
        return gcd_import(name)
    except BaseException as exc:
        _with_import_module_frame(exc)
        raise


def _with_import_module_frame(exc: "BaseException") -> None:
    """Insert `importlib.import_module`'s frame right below this module's in `exc`'s
    traceback, as if `import_module` had made the call. The frame is taken from a failed
    `import_module("")`, which stops at the same call (`_gcd_import`)."""
    import importlib

    here = exc.__traceback__  # import_module's entry above (this module's frame)
    if here is None:  # pragma: no cover - a raised exception always has one
        return
    try:
        importlib.import_module("")
    except ValueError as probe:  # "Empty module name", raised under _gcd_import
        tb = probe.__traceback__
        while tb is not None and tb.tb_frame.f_code is not importlib.import_module.__code__:
            tb = tb.tb_next
        if tb is not None:
            here.tb_next = type(tb)(here.tb_next, tb.tb_frame, tb.tb_lasti, tb.tb_lineno)
