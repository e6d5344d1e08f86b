"""`--env-vars FILE`: environment overrides in SAM's JSON format.

    {"Parameters": {"TABLE": "local"}, "HelloFunction": {"TABLE": "hello-only"}}

`Parameters` applies to every function, a function's own object (keyed by logical id,
nested path or FunctionName) wins over it. As with `sam local`, only variables the function
declares in its Environment are set; a name it does not declare is reported, not dropped
silently.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from lambdabox.app.errors import AppError
from lambdabox.app.spec import FunctionSpec


def read_env_vars(path: Path) -> dict[str, dict[str, str]]:
    """The file's objects, checked: {key: {NAME: value}}."""
    try:
        doc: Any = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AppError(f"--env-vars {path}: no such file") from None
    except (OSError, ValueError) as exc:
        raise AppError(f"--env-vars {path}: not a JSON file ({exc}); fix its syntax") from None
    if not isinstance(doc, dict) or not all(isinstance(v, dict) for v in doc.values()):
        raise AppError(
            f"--env-vars {path}: must be an object of objects, e.g. "
            '{"Parameters": {"NAME": "value"}, "HelloFunction": {"NAME": "value"}}'
        )
    return {
        key: {name: _text(value) for name, value in values.items()} for key, values in doc.items()
    }


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value)


def apply_env_vars(
    specs: Sequence[FunctionSpec], overrides: Mapping[str, Mapping[str, str]]
) -> tuple[list[FunctionSpec], list[str]]:
    """The specs with their declared variables overridden, and notes on what was not set."""
    known = {"Parameters"}
    out: list[FunctionSpec] = []
    notes: list[str] = []
    for spec in specs:
        keys = (spec.path, spec.path.replace(".", "/"), spec.name)
        known.update(keys)
        own: dict[str, str] = {}
        for key in keys:
            own.update(overrides.get(key, {}))
        merged = {**overrides.get("Parameters", {}), **own}
        env = dict(spec.environment)
        for name, value in merged.items():
            if name in env:
                env[name] = value
            elif name in own:
                notes.append(
                    f"--env-vars: {spec.path} does not declare {name} in its Environment; "
                    "not set (declare it in the template to override it)"
                )
        out.append(replace(spec, environment=env))
    for key in overrides:
        if key not in known:
            notes.append(f"--env-vars: no function {key!r} in this application; ignored")
    return out, notes
