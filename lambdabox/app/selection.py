"""Which functions run, and how: the `--function` subset and the default mode."""

from __future__ import annotations

from collections.abc import Sequence

from lambdabox.app.errors import AppError
from lambdabox.app.spec import FunctionSpec


def choose_mode(specs: Sequence[FunctionSpec], asked: str | None) -> str:
    """`asked`, else process when every function is a Python zip function."""
    if asked is not None:
        return asked
    return "process" if all(s.is_python and not s.is_image for s in specs) else "container"


def select(specs: list[FunctionSpec], wanted: Sequence[str]) -> list[FunctionSpec]:
    """The `--function` subset (by logical id, path or name)."""
    if not wanted:
        return specs
    chosen = [s for s in specs if {s.path, s.path.replace(".", "/"), s.name} & set(wanted)]
    found = {k for s in chosen for k in (s.path, s.path.replace(".", "/"), s.name)}
    missing = [w for w in wanted if w not in found]
    if missing:
        known = ", ".join(s.path for s in specs) or "none"
        raise AppError(f"--function {', '.join(missing)}: no such function (known: {known})")
    return chosen
