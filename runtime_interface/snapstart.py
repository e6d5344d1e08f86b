"""SnapStart runtime hooks, with no extra dependency.

    from runtime_interface.snapstart import register_before_snapshot, register_after_restore

    @register_before_snapshot
    def close_connections(): ...

Before-snapshot hooks run last-registered first, after-restore hooks in registration
order, when AWS_LAMBDA_INITIALIZATION_TYPE=snap-start. Hooks registered through AWS's
`snapshot_restore_py` package, when the function uses it, run too.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    Hook = tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]

__all__ = ["register_after_restore", "register_before_snapshot"]

_before: list[Hook] = []
_after: list[Hook] = []


def register_before_snapshot(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run `func(*args, **kwargs)` before the snapshot is taken; usable as a decorator."""
    _before.append((func, args, kwargs))
    return func


def register_after_restore(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run `func(*args, **kwargs)` after the environment is restored; usable as a decorator."""
    _after.append((func, args, kwargs))
    return func


def _foreign(getter: str) -> list[Hook]:
    module = sys.modules.get("snapshot_restore_py")
    get = getattr(module, getter, None)
    return list(get()) if get is not None else []


def run_before_snapshot() -> None:
    for hooks in (_before, _foreign("get_before_snapshot")):
        while hooks:
            func, args, kwargs = hooks.pop()
            func(*args, **kwargs)
    module = sys.modules.get("snapshot_restore_py")
    registry = getattr(module, "_before_snapshot_registry", None)
    if isinstance(registry, list):
        registry.clear()


def run_after_restore() -> None:
    for func, args, kwargs in [*_after, *_foreign("get_after_restore")]:
        func(*args, **kwargs)
