"""Imports run one way: a static (ast) check of every import in the product tree.

    CLI (lambdabox/cli.py dispatches by module path) -> images -> layers -> OCI model

- the commands' modules (`lambdabox.cli.COMMANDS`, and all of `builder.cli`) are imported
  only by the entry point and by other command modules;
- `builder.oci` (the OCI model) imports nothing else of the builder, nor of lambdabox;
- a builder package imports only packages below it: oci < layers < base, function, export
  (siblings, which do not import each other) < cli; none below cli imports `builder` itself
  (its `__init__` re-exports) or `builder.testing`, nor lambdabox (the commands in
  `builder.cli` report progress through `lambdabox.progress`);
- `runtime_interface` imports only the standard library (it runs inside every image);
- the emulator bundled into base images (`lambdabox.emulator` but `container/`) imports
  only the standard library, `runtime_interface` and itself.

Imports inside functions and under `TYPE_CHECKING` count as well.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from lambdabox.cli import COMMANDS

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("runtime_interface", "lambdabox", "builder")
ENTRY_POINTS = {"lambdabox.cli", "lambdabox.__main__"}
BUILDER_RANKS = {"oci": 0, "layers": 1, "base": 2, "function": 2, "export": 2, "quick": 2, "cli": 3}
STDLIB = set(getattr(sys, "stdlib_module_names", ())) | {"__future__"}


@dataclass(frozen=True)
class Import:
    """One import statement's target, seen from `module` at `path:line`."""

    module: str
    target: str
    path: str
    line: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.module} imports {self.target}"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_module(name: str) -> bool:
    base = ROOT.joinpath(*name.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def _targets(module: str, is_package: bool, node: ast.ImportFrom) -> Iterator[str]:
    if node.level:
        anchor = module.split(".")
        anchor = anchor if is_package else anchor[:-1]
        anchor = anchor[: len(anchor) - (node.level - 1)]
        base = ".".join([*anchor, node.module] if node.module else anchor)
    else:
        base = node.module or ""
    yield base
    for alias in node.names:  # `from pkg import module`
        if _is_module(f"{base}.{alias.name}"):
            yield f"{base}.{alias.name}"


def all_imports() -> list[Import]:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            module = _module_name(path)
            rel = path.relative_to(ROOT).as_posix()
            tree = ast.parse(path.read_text(encoding="utf-8"), rel)
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    targets = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom):
                    targets = list(_targets(module, path.name == "__init__.py", node))
                else:
                    continue
                found += [Import(module, t, rel, node.lineno) for t in targets]
    return found


IMPORTS = all_imports()


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def _command_modules() -> set[str]:
    return {command.module for command in COMMANDS}


def _is_cli(name: str) -> bool:
    return name in _command_modules() or _within(name, "builder.cli")


def _report(offending: list[Import], rule: str) -> str:
    return f"{rule}; offending imports:\n" + "\n".join(f"  {imp}" for imp in offending)


def test_the_scan_sees_the_tree() -> None:
    """Guards the test itself: the dispatch table's modules exist and imports are found."""
    assert all(_is_module(name) for name in _command_modules()), _command_modules()
    seen = {(i.module, i.target) for i in IMPORTS}
    assert ("builder.oci.image", "builder.oci.digest") in seen


def test_only_the_entry_point_imports_the_commands() -> None:
    offending = [
        i
        for i in IMPORTS
        if _is_cli(i.target) and i.module not in ENTRY_POINTS and not _is_cli(i.module)
    ]
    assert not offending, _report(
        offending, "command modules are imported only by lambdabox/cli.py's dispatch"
    )


def test_the_oci_model_imports_nothing_else_of_the_builder() -> None:
    offending = [
        i
        for i in IMPORTS
        if _within(i.module, "builder.oci")
        and i.target.split(".")[0] in PACKAGES
        and not _within(i.target, "builder.oci")
    ]
    assert not offending, _report(offending, "builder.oci imports only itself")


def _builder_rank(name: str) -> float | None:
    parts = name.split(".")
    if parts[0] != "builder":
        return None
    if len(parts) == 1 or parts[1] == "testing":
        return 2.5  # the package's re-exports and test images: above the images, below cli
    return BUILDER_RANKS.get(parts[1])


@pytest.mark.parametrize("package", sorted(BUILDER_RANKS))
def test_builder_packages_import_only_packages_below_them(package: str) -> None:
    offending = []
    for i in IMPORTS:
        if not _within(i.module, f"builder.{package}"):
            continue
        if _within(i.target, "lambdabox"):
            if package != "cli":
                offending.append(i)
            continue
        target_rank = _builder_rank(i.target)
        if target_rank is None or _within(i.target, f"builder.{package}"):
            continue
        if target_rank >= BUILDER_RANKS[package]:
            offending.append(i)
    below = [p for p, rank in BUILDER_RANKS.items() if rank < BUILDER_RANKS[package]]
    assert not offending, _report(
        offending,
        f"builder.{package} may import only builder packages below it "
        f"({', '.join(below) or 'none'}), and below cli never builder itself, "
        "builder.testing or lambdabox",
    )


def _foreign(i: Import, allowed: tuple[str, ...]) -> bool:
    top = i.target.split(".")[0]
    return top not in STDLIB and not any(_within(i.target, a) for a in allowed)


@pytest.mark.skipif(not STDLIB, reason="sys.stdlib_module_names needs Python 3.10+")
def test_runtime_interface_imports_only_the_standard_library() -> None:
    offending = [
        i
        for i in IMPORTS
        if _within(i.module, "runtime_interface") and _foreign(i, ("runtime_interface",))
    ]
    assert not offending, _report(offending, "runtime_interface uses the standard library only")


@pytest.mark.skipif(not STDLIB, reason="sys.stdlib_module_names needs Python 3.10+")
def test_the_bundled_emulator_imports_only_what_base_images_hold() -> None:
    allowed = ("lambdabox.emulator", "runtime_interface")
    offending = [
        i
        for i in IMPORTS
        if _within(i.module, "lambdabox.emulator")
        and not _within(i.module, "lambdabox.emulator.container")
        and (_foreign(i, allowed) or _within(i.target, "lambdabox.emulator.container"))
        and i.target != "lambdabox"
    ]
    assert not offending, _report(
        offending,
        "the emulator bundled into base images (all but emulator/container/) imports only "
        "the standard library, runtime_interface and lambdabox.emulator",
    )
