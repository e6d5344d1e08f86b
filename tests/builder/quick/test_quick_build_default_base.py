"""The fast path of `lambdabox build` with the default base (no --base): the python3.11 base
resolved from the cache, as users run it.

The base comes from the default cache (`ensure_base`, as the other tests that need the
python3.11 base get it: built once per cache, then found). Parity: the fast build's layout
is the full build's, byte for byte, and validates. Fallback: a change of what resolving the
default base reads (a bundled source, base.toml, a file added next to the bundled sources)
or of the environment variable that selects the cache sends the build to the full path,
which records it again (the next code-only change is fast again). Nothing here changes the
content of a bundled file, so no new base is built.
"""

from __future__ import annotations

import marshal
import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from builder import Cache, read_layout, validate_layout
from builder.base.build import ensure_base, layout_folder
from builder.base.definition import BASE_IMAGES_DIR
from builder.base.interface import REPO_ROOT
from builder.quick.record import RECORD_FILE
from lambdabox.cli import main as full_main
from lambdabox.console import main as console_main

FAST = "(code-only change: fast path)"
ARGV = ["build", "src", "--handler", "app.handler", "--output", "out", "-t", "fn:1"]


@pytest.fixture(scope="module")
def default_base() -> Path:
    """The python3.11 base's layout in the default cache (built there on first use)."""
    return ensure_base("python3.11", Cache.default(), print)


@pytest.fixture
def default_project(project: Path, default_base: Path) -> Path:
    """`project` (tmp_path as the working folder, src/), with the default base cached."""
    return project


def layout_files(layout: Path) -> dict[str, bytes]:
    """Every file of a layout but the build record, by relative path."""
    return {
        str(path.relative_to(layout)): path.read_bytes()
        for path in sorted(layout.rglob("*"))
        if path.is_file() and path.name != RECORD_FILE
    }


def build(capsys: pytest.CaptureFixture[str]) -> str:
    """`lambdabox build ARGV` through the console script; its stderr."""
    status = console_main(ARGV)
    err = capsys.readouterr().err
    assert status == 0, err
    return err


def copy_layout(project: Path) -> None:
    """out/ as it is now, without its record, into full/ (the full path's build goes there)."""
    shutil.rmtree(project / "full", ignore_errors=True)
    shutil.copytree(project / "out", project / "full", symlinks=True)
    (project / "full" / RECORD_FILE).unlink()


def edit(project: Path, value: int) -> None:
    (project / "src" / "app.py").write_text(f"def handler(event, context):\n    return {value}\n")


def test_a_code_change_with_the_default_base_is_fast_and_identical(
    default_project: Path, default_base: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert FAST not in build(capsys)  # the first build: full, and recorded
    record = marshal.loads((default_project / "out" / RECORD_FILE).read_bytes())
    assert str(layout_folder("python3.11", Cache.default())) in dict(record["realpaths"])
    assert str(default_base / "index.json") in dict(record["hashed"])
    assert str(REPO_ROOT / "runtime_interface" / "__init__.py") in {
        path for path, _, _ in record["sources"]
    }
    copy_layout(default_project)
    edit(default_project, 2)
    (default_project / "src" / "pkg" / "extra.py").write_text("X = 1\n")
    assert FAST in build(capsys)
    assert full_main([*ARGV, "--output", "full"]) == 0
    capsys.readouterr()
    assert layout_files(default_project / "out") == layout_files(default_project / "full")
    validate_layout(default_project / "out", "1")


def _touch(path: Path) -> Callable[[], None]:
    """Move `path`'s mtime (its bytes stay); returns what puts it back."""
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    return lambda: os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def _add_file(folder: Path) -> Callable[[], None]:
    """A file (not a bundled source) added to `folder`; returns what removes it again."""
    stat = folder.stat()
    added = folder / f"quick-test-{os.getpid()}.txt"
    added.write_text("not bundled\n")

    def undo() -> None:
        added.unlink()
        os.utime(folder, ns=(stat.st_atime_ns, stat.st_mtime_ns))

    return undo


CHANGES: dict[str, Callable[[], Callable[[], None]]] = {
    "bundled source touched": lambda: _touch(REPO_ROOT / "runtime_interface" / "__init__.py"),
    "emulator source touched": lambda: _touch(REPO_ROOT / "lambdabox" / "emulator" / "__init__.py"),
    "base.toml touched": lambda: _touch(BASE_IMAGES_DIR / "python3.11" / "base.toml"),
    "file added next to the bundled sources": lambda: _add_file(
        REPO_ROOT / "lambdabox" / "emulator"
    ),
}


@pytest.fixture(params=sorted(CHANGES))
def base_input_changed(request: pytest.FixtureRequest) -> Iterator[Callable[[], None]]:
    """`base_input_changed()` changes one input of the default base's resolution (undone
    after the test)."""
    undo: list[Callable[[], None]] = []
    yield lambda: undo.append(CHANGES[request.param]())
    for step in undo:
        step()


def test_a_changed_input_of_the_default_base_takes_the_full_path(
    default_project: Path,
    base_input_changed: Callable[[], None],
    capsys: pytest.CaptureFixture[str],
) -> None:
    build(capsys)
    edit(default_project, 2)
    assert FAST in build(capsys)
    base_input_changed()
    edit(default_project, 3)
    assert FAST not in build(capsys)  # the full path: it resolves the base again
    copy_layout(default_project)
    edit(default_project, 4)
    assert FAST in build(capsys)  # and recorded the build again
    assert full_main([*ARGV, "--output", "full"]) == 0
    capsys.readouterr()
    assert layout_files(default_project / "out") == layout_files(default_project / "full")
    validate_layout(default_project / "out", "1")


def test_the_cache_variable_pointing_elsewhere_takes_the_full_path(
    default_project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    build(capsys)
    edit(default_project, 2)
    assert FAST in build(capsys)
    link = default_project / "cache-link"  # the same cache (its base is built) by another name
    link.symlink_to(Cache.default().root, target_is_directory=True)
    monkeypatch.setenv("LAMBDABOX_CACHE", str(link))
    edit(default_project, 3)
    assert FAST not in build(capsys)
    copy_layout(default_project)
    edit(default_project, 4)
    assert FAST in build(capsys)
    assert full_main([*ARGV, "--output", "full"]) == 0
    capsys.readouterr()
    assert layout_files(default_project / "out") == layout_files(default_project / "full")
    validate_layout(default_project / "out", "1")


def test_watch_with_the_default_base_rebuilds_on_the_fast_path(
    default_project: Path,
    capsys: pytest.CaptureFixture[str],
    watch: Callable[[list[str]], Any],
) -> None:
    watching = watch([*ARGV, "--json", "--watch"])
    digests = [watching.summary()["digest"]]
    for n in range(2):
        time.sleep(0.05)
        edit(default_project, 10 + n)
        digests.append(watching.summary()["digest"])
    err = watching.stop()
    assert err.count(FAST) == 2, err
    assert len(set(digests)) == 3
    assert full_main([*ARGV, "--output", "full"]) == 0
    capsys.readouterr()
    assert str(read_layout(default_project / "full").digest) == digests[-1]
    edit(default_project, 12)  # the record the watch kept serves a one-shot build too
    assert console_main([*ARGV, "--json"]) == 0
    assert FAST in capsys.readouterr().err


def test_python_caching_bytecode_next_to_the_bundled_sources_keeps_the_fast_path(
    default_project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A `__pycache__` appearing in a bundled folder (Python importing from it) changes the
    folder's mtime but nothing the base is built from: the next build stays fast."""
    cache = REPO_ROOT / "lambdabox" / "emulator" / "sandbox" / "__pycache__"
    kept = tmp_path / "kept"
    if cache.exists():  # set aside, so that it can appear as on a first import
        shutil.move(cache, kept)
    try:
        build(capsys)
        edit(default_project, 2)
        assert FAST in build(capsys)
        cache.mkdir()
        edit(default_project, 3)
        assert FAST in build(capsys)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
        if kept.exists():
            shutil.move(kept, cache)
