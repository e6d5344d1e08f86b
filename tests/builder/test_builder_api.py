"""The builder's public surface and its dependency rule: standard library only, never docker."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import builder

ROOT = str(Path(__file__).resolve().parents[2])

LOADED = """
import sys
before = set(sys.modules)
import builder, builder.testing
loaded = {name.split('.')[0] for name in set(sys.modules) - before}
print(','.join(sorted(loaded)))
"""


def test_import_builder_does_not_import_docker() -> None:
    code = "import builder, sys; assert 'docker' not in sys.modules, 'docker was imported'"
    env = {"PYTHONPATH": ROOT, "PATH": os.environ.get("PATH", "")}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=ROOT)


def test_builder_imports_only_the_standard_library() -> None:
    env = {"PYTHONPATH": ROOT, "PATH": os.environ.get("PATH", "")}
    out = subprocess.run(
        [sys.executable, "-S", "-c", LOADED], capture_output=True, text=True, check=True, env=env
    )
    stdlib = getattr(sys, "stdlib_module_names", None)
    loaded = set(out.stdout.strip().split(","))
    assert "builder" in loaded
    if stdlib is not None:  # Python 3.10+
        assert loaded - set(stdlib) - {"builder"} == set()


def test_all_lists_exactly_the_public_names() -> None:
    assert sorted(builder.__all__) == sorted(set(builder.__all__))
    for name in builder.__all__:
        assert getattr(builder, name) is not None
    public = {name for name in vars(builder) if not name.startswith("_")}
    modules = {name for name in public if type(getattr(builder, name)).__name__ == "module"}
    assert public - modules - {"annotations"} == set(builder.__all__)
    assert dir(builder) == sorted(builder.__all__)


def test_public_names_are_documented() -> None:
    for name in builder.__all__:
        value = getattr(builder, name)
        if callable(value):
            assert value.__doc__, f"builder.{name} has no docstring"
