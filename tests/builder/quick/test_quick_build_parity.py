"""The fast path of `lambdabox build` writes the layout the full path writes, byte for byte.

Each case: a full build through the console script (which records it), a change of the
code, then the same command (the fast path) next to the full path on a copy of the layout
made before the change; both layouts must hold the same files with the same bytes, and
validate. Where the fast path must decline (dependencies, base, flags, a damaged record,
an input the full path refuses) the full path runs and the result is the same.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from builder import read_layout, validate_layout, write_layout
from builder.quick.record import RECORD_FILE
from builder.quick.tarball import write_blob
from builder.testing import random_image
from lambdabox.cli import main as full_main
from lambdabox.console import main as console_main

FAST = "(code-only change: fast path)"
ARGV = ["build", "src", "--handler", "app.handler", "--base", "base", "--cache", "cache"]


def layout_files(layout: Path) -> dict[str, bytes]:
    """Every file of a layout but the build record, by relative path."""
    return {
        str(path.relative_to(layout)): path.read_bytes()
        for path in sorted(layout.rglob("*"))
        if path.is_file() and path.name != RECORD_FILE
    }


def copy_layout(layout: Path, to: Path) -> None:
    shutil.copytree(layout, to, symlinks=True)
    (to / RECORD_FILE).unlink(missing_ok=True)


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = console_main(argv)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def check_parity(
    project: Path,
    capsys: pytest.CaptureFixture[str],
    change: Callable[[Path], None],
    extra: tuple[str, ...] = ("--output", "out", "-t", "fn:1"),
    *,
    fast: bool = True,
    before: Callable[[Path], None] | None = None,
) -> Path:
    """Build, copy the layout, `change` the project, build both ways; compare. The layout."""
    argv = [*ARGV, *extra]
    if before is not None:
        before(project)
    out = Path(project, *_output(extra))
    recorded = (out / RECORD_FILE).is_file()
    status, _, err = run(argv, capsys)
    assert status == 0, err
    assert recorded or FAST not in err
    assert (out / RECORD_FILE).is_file()
    copy_layout(out, project / "full")
    change(project)
    status, _, err = run(argv, capsys)
    assert status == 0, err
    assert (FAST in err) is fast, err
    assert full_main([*argv, "--output", "full"]) == 0
    capsys.readouterr()
    assert layout_files(out) == layout_files(project / "full")
    tags = [extra[i + 1] for i, a in enumerate(extra) if a == "-t"]
    tags += [a[2:] for a in extra if a.startswith("-t") and len(a) > 2]
    validate_layout(out, tags[-1].rpartition(":")[2] if tags else "latest")
    return out


def _output(extra: tuple[str, ...]) -> list[str]:
    if "--output" in extra:
        return [extra[extra.index("--output") + 1]]
    tags = [a[2:] for a in extra if a.startswith("-t") and len(a) > 2]
    return [".lambdabox", "out", tags[-1].rpartition(":")[0] if tags else "src"]


def edit(project: Path) -> None:
    with open(project / "src" / "app.py", "a", encoding="utf-8") as file:
        file.write("# changed\n")


def test_an_edit_of_the_code(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = check_parity(project, capsys, edit)
    image = read_layout(out, "1")
    assert image.config.cmd == ("app.handler",)


def test_nested_and_empty_folders_added(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def before(root: Path) -> None:
        (root / "src" / "a" / "b" / "c").mkdir(parents=True)
        (root / "src" / "a" / "b" / "c" / "deep.py").write_text("x = 1\n")
        (root / "src" / "empty").mkdir()

    def change(root: Path) -> None:
        (root / "src" / "new" / "inner").mkdir(parents=True)
        (root / "src" / "new" / "inner" / "mod.py").write_text("y = 2\n")
        (root / "src" / "also-empty").mkdir()
        edit(root)

    check_parity(project, capsys, change, before=before)


def test_symlinks_kept(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def before(root: Path) -> None:
        os.symlink("app.py", root / "src" / "alias.py")
        os.symlink("../app.py", root / "src" / "pkg" / "up.py")

    check_parity(project, capsys, edit, before=before)


def test_a_new_symlink_goes_to_the_full_path(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    check_parity(
        project, capsys, lambda root: os.symlink("app.py", root / "src" / "l.py"), fast=False
    )


def test_exec_bits(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def change(root: Path) -> None:
        (root / "src" / "app.py").chmod(0o755)
        (root / "src" / "run.sh").write_text("#!/bin/sh\n")
        (root / "src" / "run.sh").chmod(0o700)

    check_parity(project, capsys, change)


def test_unicode_and_long_names(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    long = "d" * 60

    def before(root: Path) -> None:
        (root / "src" / "ünï").mkdir()
        (root / "src" / "ünï" / "日本語.py").write_text("z = '✓'\n")
        (root / "src" / long / long).mkdir(parents=True)
        (root / "src" / long / long / "file.txt").write_text("long path\n")
        os.symlink(f"{long}/{long}/file.txt", root / "src" / ("l" * 40))

    def change(root: Path) -> None:
        (root / "src" / "ünï" / "🎉.txt").write_text("emoji\n")
        edit(root)

    check_parity(project, capsys, change, before=before)


def test_large_files(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def before(root: Path) -> None:
        (root / "src" / "blob.bin").write_bytes(os.urandom(3 * 1024 * 1024 + 17))

    def change(root: Path) -> None:
        (root / "src" / "text.txt").write_text("lambdabox " * 300_000)
        edit(root)

    check_parity(project, capsys, change, before=before)


def test_env_tag_and_default_output(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    extra = ("--env", "A=1", "--env=B=two words", "-tmy-fn:v2", "--json")
    check_parity(project, capsys, edit, extra)
    assert (project / ".lambdabox" / "out" / "my-fn" / "index.json").is_file()


def test_default_name_and_tag(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    check_parity(project, capsys, edit, ())


def test_removed_and_renamed_files(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def before(root: Path) -> None:
        (root / "src" / "gone.py").write_text("a = 1\n")
        (root / "src" / "old.py").write_text("b = 2\n")

    def change(root: Path) -> None:
        (root / "src" / "gone.py").unlink()
        (root / "src" / "old.py").rename(root / "src" / "new.py")

    check_parity(project, capsys, change, before=before)


def test_ignore_rules_apply_to_new_names(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def before(root: Path) -> None:
        (root / "src" / ".lambdaboxignore").write_text("*.log\nbuild/\n")

    def change(root: Path) -> None:
        (root / "src" / "debug.log").write_text("ignored\n")
        (root / "src" / "build").mkdir()
        (root / "src" / "build" / "x.py").write_text("ignored too\n")
        (root / "src" / "__pycache__").mkdir()
        edit(root)

    out = check_parity(project, capsys, change, before=before)
    names = str(layout_files(out))
    assert "debug.log" not in names


def test_source_date_epoch(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    check_parity(project, capsys, edit)


def test_the_code_unchanged(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    check_parity(project, capsys, lambda _root: None)


def test_requirements_cached_then_changed(
    project: Path, capsys: pytest.CaptureFixture[str], six_wheel: Path
) -> None:
    (project / "requirements.txt").write_text("six==1.17.0\n")
    extra: tuple[str, ...] = ("--requirements", "requirements.txt", "--pip-arg=--no-index")
    extra += (f"--pip-arg=--find-links={six_wheel}", "--output", "out", "-t", "fn:1")
    check_parity(project, capsys, edit, extra)

    def change(root: Path) -> None:
        (root / "requirements.txt").write_text("six==1.17.0  # pinned\n")
        edit(root)

    (project / "full").rename(project / "full-1")
    check_parity(project, capsys, change, extra, fast=False)


def test_base_changed(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def change(root: Path) -> None:
        write_layout(root / "base", random_image(3, seed=8), tag="base")
        edit(root)

    check_parity(project, capsys, change, fast=False)


def test_another_command_or_flag(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = [*ARGV, "--output", "out"]
    assert run(argv, capsys)[0] == 0
    edit(project)
    for other in (["--env", "X=1"], ["--hand", "app.handler"], ["--no-bytecode"]):
        status, _, err = run([*argv, *other], capsys)
        assert status == 0, err
        assert FAST not in err
    status, _, err = run(argv, capsys)  # the record is the last full build's
    assert FAST not in err


def test_a_damaged_record(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def change(root: Path) -> None:
        (root / "out" / RECORD_FILE).write_bytes(b"\x00garbage")
        edit(root)

    check_parity(project, capsys, change, fast=False)  # the full path wrote a new record
    edit(project)
    status, _, err = run([*ARGV, "--output", "out", "-t", "fn:1"], capsys)
    assert status == 0
    assert FAST in err


def test_errors_come_from_the_full_path(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = [*ARGV, "--output", "out"]
    assert run(argv, capsys)[0] == 0
    before = (project / "out" / "index.json").read_bytes()
    os.mkfifo(project / "src" / "pipe")
    status, _, err = run(argv, capsys)
    assert status == 1
    assert "is not a regular file, folder or symlink" in err
    assert FAST not in err
    assert (project / "out" / "index.json").read_bytes() == before


def test_an_interrupted_fast_build_keeps_the_layout(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    argv = [*ARGV, "--output", "out", "-t", "fn:1"]
    assert run(argv, capsys)[0] == 0
    before = layout_files(project / "out")
    real = write_blob

    def interrupted(entries: object, fd: int, mtime: int, level: int) -> object:
        os.write(fd, b"partial")
        raise KeyboardInterrupt

    monkeypatch.setattr("builder.quick.build.write_blob", interrupted)
    edit(project)
    with pytest.raises(KeyboardInterrupt):
        console_main(argv)
    assert layout_files(project / "out") == before  # no temp file left, index unchanged
    validate_layout(project / "out", "1")
    monkeypatch.setattr("builder.quick.build.write_blob", real)
    status, _, err = run(argv, capsys)
    assert status == 0
    assert FAST in err


def test_nothing_is_written_outside_the_output(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [*ARGV, "--output", "out"]
    assert run(argv, capsys)[0] == 0
    edit(project)

    def state() -> dict[str, tuple[int, int]]:
        return {
            str(path): (path.lstat().st_mtime_ns, path.lstat().st_size)
            for path in project.rglob("*")
            if "out" not in path.relative_to(project).parts[:1]
        }

    before = state()
    status, _, err = run(argv, capsys)
    assert status == 0
    assert FAST in err
    assert state() == before


def test_a_file_changed_while_read_goes_to_the_full_path(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def change(root: Path) -> None:
        def racing(entries: object, fd: int, mtime: int, level: int) -> object:
            with open(root / "src" / "app.py", "a", encoding="utf-8") as file:
                file.write("# written meanwhile\n")  # after the walk took its size
            monkeypatch.setattr("builder.quick.build.write_blob", write_blob)
            return write_blob(entries, fd, mtime, level)  # type: ignore[arg-type]

        monkeypatch.setattr("builder.quick.build.write_blob", racing)
        edit(root)

    out = check_parity(project, capsys, change, fast=False)
    assert not [p.name for p in (out / "blobs" / "sha256").iterdir() if p.name.startswith(".")]


def test_a_damaged_oci_layout_file(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def change(root: Path) -> None:
        (root / "out" / "oci-layout").write_text("{}")
        (root / "full" / "oci-layout").write_text("{}")
        edit(root)

    check_parity(project, capsys, change, fast=False)


def test_a_base_symlink_pointed_elsewhere(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def before(root: Path) -> None:
        shutil.copytree(root / "base", root / "base-copy")
        (root / "base").rename(root / "base-real")
        os.symlink("base-real", root / "base")

    def change(root: Path) -> None:
        (root / "base").unlink()
        os.symlink("base-copy", root / "base")  # the same index.json, another name
        edit(root)

    out = check_parity(project, capsys, change, fast=False, before=before)
    assert (
        read_layout(out, "1")
        .annotations["org.opencontainers.image.base.name"]
        .endswith("base-copy")
    )
