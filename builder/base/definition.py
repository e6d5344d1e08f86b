"""Base image definitions: `base_images/<name>/base.toml` read into a `BaseDefinition`.

A definition is data only (see base_images/README.md for the fields): the Debian suite and
mirror, the packages of the OS layer and of the language-runtime layer, the pinned
SOURCE_DATE_EPOCH, the environment and the labels. `builder.base` turns it into an image.

TOML is read with `tomllib` (Python 3.11+), else `tomli` if installed, else a small reader
for the subset the definitions use (tables, strings, integers, booleans, string arrays).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..oci.errors import BuilderError
from ..oci.reproducible import canonical_json

__all__ = ["BASE_IMAGES_DIR", "BaseDefinition", "base_names", "load_definition", "parse_toml"]

BASE_IMAGES_DIR = Path(__file__).resolve().parents[2] / "base_images"
"""Where the definitions live: `<repo>/base_images/<name>/base.toml`."""

_NAME = re.compile(r"[a-z0-9][a-z0-9._-]*")


@dataclass(frozen=True)
class BaseDefinition:
    """One base image, as `base.toml` describes it."""

    name: str
    suite: str
    mirror: str
    source_date_epoch: int
    os_packages: tuple[str, ...]
    runtime_packages: tuple[str, ...] = ()
    python: str | None = None
    """"3.11" for a Python image: bundles runtime_interface and the emulator."""
    merged_usr: bool = True
    """Run mmdebstrap's merged-usr hook (bookworm and older; trixie is merged natively)."""
    env: Mapping[str, str] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)
    description: str = ""

    @property
    def os_inputs(self) -> dict[str, Any]:
        """What shapes the OS layer (and so its cache key)."""
        return {
            "suite": self.suite,
            "mirror": self.mirror,
            "epoch": self.source_date_epoch,
            "merged_usr": self.merged_usr,
            "packages": list(self.os_packages),
        }

    @property
    def runtime_inputs(self) -> dict[str, Any]:
        return {**self.os_inputs, "runtime": list(self.runtime_packages), "python": self.python}

    def fingerprint(self) -> str:
        """A stable text of every field, for cache keys."""
        data = {
            **self.runtime_inputs,
            "name": self.name,
            "env": dict(self.env),
            "labels": dict(self.labels),
        }
        return canonical_json(data).decode()


def base_names(root: Path = BASE_IMAGES_DIR) -> list[str]:
    """The names of the defined base images, sorted."""
    if not root.is_dir():
        return []
    return sorted(p.parent.name for p in root.glob("*/base.toml"))


def load_definition(name: str, root: Path = BASE_IMAGES_DIR) -> BaseDefinition:
    """The definition `root/<name>/base.toml`; BuilderError names the problem and the fix."""
    if not _NAME.fullmatch(name):
        raise BuilderError(f"{name!r} is not a base image name (e.g. python3.11, provided)")
    path = root / name / "base.toml"
    if not path.is_file():
        known = ", ".join(base_names(root)) or "none"
        raise BuilderError(f"no base image {name!r} (no {path}); known: {known}")
    try:
        raw = parse_toml(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise BuilderError(f"{path}: {exc}") from exc
    try:
        return _from_raw(name, raw)
    except (KeyError, TypeError, ValueError) as exc:
        raise BuilderError(f"{path}: missing or malformed field: {exc}") from exc


def _strings(value: Any, what: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TypeError(f"{what} must be a list of strings")
    return tuple(value)


def _table(value: Any, what: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise TypeError(f"[{what}] must map names to strings")
    return dict(value)


def _from_raw(name: str, raw: Mapping[str, Any]) -> BaseDefinition:
    debian = raw["debian"]
    layers = raw["layers"]
    python = raw.get("python")
    if python is not None and not re.fullmatch(r"3\.\d+", str(python)):
        raise ValueError(f'python = {python!r} is not like "3.11"')
    epoch = debian["source_date_epoch"]
    if not isinstance(epoch, int) or isinstance(epoch, bool) or epoch < 0:
        raise TypeError("debian.source_date_epoch must be a non-negative integer")
    return BaseDefinition(
        name=name,
        suite=str(debian["suite"]),
        mirror=str(debian["mirror"]),
        source_date_epoch=epoch,
        merged_usr=bool(debian.get("merged_usr", True)),
        os_packages=_strings(layers["os"]["packages"], "layers.os.packages"),
        runtime_packages=_strings(
            layers.get("runtime", {}).get("packages", []), "layers.runtime.packages"
        ),
        python=None if python is None else str(python),
        env=_table(raw.get("env", {}), "env"),
        labels=_table(raw.get("labels", {}), "labels"),
        description=str(raw.get("description", "")),
    )


def parse_toml(text: str) -> dict[str, Any]:
    """TOML text as a dict (tomllib, tomli, or the small subset reader)."""
    try:
        import tomllib as toml  # Python 3.11+
    except ImportError:  # pragma: no cover - Python 3.9/3.10
        try:
            import tomli as toml  # type: ignore[no-redef,import-not-found,unused-ignore]
        except ImportError:
            return parse_toml_subset(text)
    try:
        return dict(toml.loads(text))
    except toml.TOMLDecodeError as exc:
        raise ValueError(str(exc)) from exc


_KEY = r'(?:[A-Za-z0-9_-]+|"[^"\\]*")'
_TABLE = re.compile(rf"\[\s*({_KEY}(?:\s*\.\s*{_KEY})*)\s*\]")
_ASSIGN = re.compile(rf"({_KEY})\s*=\s*(.*)")
_SCALAR = re.compile(r'"(?:[^"\\]|\\.)*"|\'[^\']*\'|-?\d+|true|false')


def parse_toml_subset(text: str) -> dict[str, Any]:
    """Tables, `key = value` with strings, integers, booleans and (multi-line) arrays of them.

    Enough for base.toml on Python 3.9/3.10 without extra packages; anything else is an error.
    """
    result: dict[str, Any] = {}
    table = result
    pending = ""
    for number, line in enumerate(text.splitlines(), 1):
        stripped = _strip_comment(line).strip()
        if pending:
            pending += " " + stripped
            if not _balanced(pending):
                continue
            stripped, pending = pending, ""
        if not stripped:
            continue
        header = _TABLE.fullmatch(stripped)
        if header:
            table = result
            for part in re.findall(_KEY, header.group(1)):
                table = table.setdefault(part.strip('"'), {})
            continue
        assign = _ASSIGN.fullmatch(stripped)
        if not assign:
            raise ValueError(f"line {number}: cannot read {line.strip()!r}")
        if not _balanced(assign.group(2)):
            pending = stripped
            continue
        table[assign.group(1).strip('"')] = _value(assign.group(2).strip(), number)
    if pending:
        raise ValueError("an array is not closed")
    return result


def _strip_comment(line: str) -> str:
    quote = ""
    for i, char in enumerate(line):
        if quote:
            if char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == "#":
            return line[:i]
    return line


def _balanced(text: str) -> bool:
    return text.count("[") <= text.count("]")


def _value(text: str, number: int) -> Any:
    if text.startswith("["):
        inner = text[1:-1] if text.endswith("]") else ""
        items = [m.group(0) for m in _SCALAR.finditer(inner)]
        return [_value(item, number) for item in items]
    if not _SCALAR.fullmatch(text):
        raise ValueError(f"line {number}: unsupported value {text!r}")
    if text.startswith('"'):
        return json.loads(text)
    if text.startswith("'"):
        return text[1:-1]
    if text in ("true", "false"):
        return text == "true"
    return int(text)
