"""Deterministic layer tars from folders and entry lists: bytes, modes, ignore rules, symlinks."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import pytest

from builder import Entry, UnsafePathError
from builder.layers.entries import normalize
from builder.layers.tarball import write_tar
from builder.layers.tree import IgnoreRules, entries_from_tree


def make_tree(root: Path) -> Path:
    (root / "pkg" / "sub").mkdir(parents=True)
    (root / "app.py").write_text("def handler(event, context):\n    return event\n")
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "sub" / "data.json").write_text('{"a": 1}')
    (root / "run.sh").write_text("#!/bin/sh\necho hi\n")
    (root / "run.sh").chmod(0o750)
    (root / "empty").mkdir()
    return root


def tar_bytes(root: Path, prefix: str = "/var/task", mtime: int = 315532801) -> bytes:
    out = io.BytesIO()
    write_tar(entries_from_tree(root), out, prefix=prefix, mtime=mtime)
    return out.getvalue()


def members(data: bytes) -> dict[str, tarfile.TarInfo]:
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return {m.name: m for m in tar.getmembers()}


def test_the_same_tree_gives_identical_bytes(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "src")
    assert tar_bytes(root) == tar_bytes(root)


def test_disk_mtimes_owners_and_permissions_do_not_change_the_bytes(tmp_path: Path) -> None:
    first = tar_bytes(make_tree(tmp_path / "a"))
    root = make_tree(tmp_path / "b")
    for path in [root, *root.rglob("*")]:
        os.utime(path, (1_700_000_000, 1_700_000_000))
        if os.geteuid() == 0:
            os.chown(path, 1234, 5678)
    (root / "app.py").chmod(0o600)  # no x bit: still 0644 in the layer
    (root / "run.sh").chmod(0o700)  # some x bit: 0755
    assert tar_bytes(root) == first


def test_entries_are_normalized(tmp_path: Path) -> None:
    found = members(tar_bytes(make_tree(tmp_path / "src"), mtime=1234))
    assert list(found) == [
        "var", "var/task", "var/task/app.py", "var/task/empty", "var/task/pkg",
        "var/task/pkg/__init__.py", "var/task/pkg/sub", "var/task/pkg/sub/data.json",
        "var/task/run.sh",
    ]  # fmt: skip
    for member in found.values():
        assert (member.uid, member.gid, member.uname, member.gname) == (0, 0, "", "")
        assert member.mtime == 1234
    assert found["var"].isdir()
    assert found["var"].mode == 0o755
    assert found["var/task/app.py"].mode == 0o644
    assert found["var/task/run.sh"].mode == 0o755


def test_the_mtime_changes_the_bytes(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "src")
    assert tar_bytes(root, mtime=1) != tar_bytes(root, mtime=2)


def test_pax_format_keeps_long_and_unicode_names(tmp_path: Path) -> None:
    name = "ü" * 10 + "/" + "x" * 150 + ".py"
    out = io.BytesIO()
    write_tar([Entry.file(name, b"1")], out)
    assert members(out.getvalue())[name].size == 1


def test_version_control_caches_and_virtualenvs_are_skipped(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "src")
    for folder in (".git", "__pycache__", ".venv/lib", "pkg/__pycache__"):
        (root / folder).mkdir(parents=True)
        (root / folder / "x").write_text("skip")
    (root / "pkg" / "mod.pyc").write_bytes(b"\0")
    (root / ".git" / "HEAD").write_text("ref")
    names = set(members(tar_bytes(root, prefix="/")))
    assert not {n for n in names if ".git" in n or "pycache" in n or ".venv" in n or ".pyc" in n}
    assert "app.py" in names


def test_lambdaboxignore_patterns(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "src")
    for path in ("build/out.bin", "docs/draft.md", "docs/keep.md", "pkg/build", "a.log", "b.log"):
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(path)
    (root / ".lambdaboxignore").write_text(
        "# comment\n\nbuild/\n*.log\n!b.log\ndocs/draft.md\n/pkg/sub\n"
    )
    names = set(members(tar_bytes(root, prefix="/")))
    assert "build" not in names
    assert "build/out.bin" not in names
    assert "pkg/build" in names  # `build/` matches folders only; pkg/build is a file
    assert "a.log" not in names
    assert "b.log" in names
    assert "docs/draft.md" not in names
    assert "docs/keep.md" in names
    assert "pkg/sub" not in names
    assert "pkg/sub/data.json" not in names
    assert ".lambdaboxignore" not in names


def test_the_build_output_folder_is_not_part_of_the_code(tmp_path: Path) -> None:
    """`cd src && lambdabox build` writes .lambdabox/out/ inside the tree it reads."""
    root = make_tree(tmp_path / "src")
    (root / ".lambdabox" / "out" / "src").mkdir(parents=True)
    (root / ".lambdabox" / "out" / "src" / "index.json").write_text("{}")
    (root / "pkg" / ".lambdabox").mkdir(parents=True)  # only the root's is ours
    (root / "pkg" / ".lambdabox" / "data").write_text("kept")
    names = set(members(tar_bytes(root, prefix="/")))
    assert not any(name.startswith(".lambdabox") for name in names)
    assert "pkg/.lambdabox/data" in names


def test_ignore_rules_globs() -> None:
    rules = IgnoreRules(["**/fixtures", "tests/**", "*.py[co]", "/top.txt"])
    assert rules.ignores("a/b/fixtures", is_dir=True)
    assert rules.ignores("tests/x/y.py", is_dir=False)
    assert not rules.ignores("tests", is_dir=True)
    assert rules.ignores("deep/m.pyo", is_dir=False)
    assert rules.ignores("top.txt", is_dir=False)
    assert not rules.ignores("sub/top.txt", is_dir=False)


def test_symlink_inside_the_tree_is_kept(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "src")
    (root / "link").symlink_to("pkg/sub/data.json")
    (root / "pkg" / "up").symlink_to("../app.py")
    (root / "dirlink").symlink_to("pkg")
    found = members(tar_bytes(root))
    assert found["var/task/link"].issym()
    assert found["var/task/link"].linkname == "pkg/sub/data.json"
    assert found["var/task/pkg/up"].linkname == "../app.py"
    assert found["var/task/dirlink"].issym()
    assert "var/task/dirlink/__init__.py" not in found  # not followed


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("../outside.txt", "points outside the tree"),
        ("/etc/passwd", "is absolute"),
        ("pkg/../../x", "points outside the tree"),
        ("self/../x", "points outside the tree"),  # self -> .: a lexical check would pass this
    ],
)
def test_escaping_symlink_is_rejected_naming_the_file(
    tmp_path: Path, target: str, reason: str
) -> None:
    root = make_tree(tmp_path / "src")
    (root / "self").symlink_to(".")
    (root / "evil").symlink_to(target)
    with pytest.raises(UnsafePathError, match=reason) as caught:
        tar_bytes(root)
    assert caught.value.path == str(root / "evil")
    assert str(root / "evil") in str(caught.value)


def test_symlink_loop_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(UnsafePathError, match="loop"):
        normalize([Entry.symlink("a", "b/x"), Entry.symlink("b", "a")])


def test_special_files_are_rejected(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "src")
    os.mkfifo(root / "pipe")
    with pytest.raises(UnsafePathError, match="not a regular file") as caught:
        entries_from_tree(root)
    assert caught.value.path == str(root / "pipe")


def test_entry_list_with_prefix_and_parents() -> None:
    entries = [
        Entry.file("bootstrap", b"#!/bin/sh\n", executable=True),
        Entry.file("lib/x.py", b"x = 1\n"),
        Entry.symlink("lib/y.py", "x.py"),
    ]
    out = io.BytesIO()
    write_tar(entries, out, prefix="/opt/ext")
    found = members(out.getvalue())
    assert list(found) == [
        "opt", "opt/ext", "opt/ext/bootstrap", "opt/ext/lib", "opt/ext/lib/x.py", "opt/ext/lib/y.py"
    ]  # fmt: skip
    assert found["opt/ext/bootstrap"].mode == 0o755
    assert found["opt/ext/lib/y.py"].mode == 0o777


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([Entry.file("a", b"1"), Entry.file("./a", b"2")], "appears twice"),
        ([Entry.file("a", b"1"), Entry.file("a/b", b"2")], "parent a is a file"),
        ([Entry.file("a/b", b"1"), Entry.file("a", b"2")], "also the folder"),
        ([Entry.file("../a", b"1")], r"contains '\.\.'"),
        ([Entry.file("/abs", b"1")], "absolute"),
        ([Entry.file("a\\b", b"1")], "backslash"),
    ],
)
def test_bad_entry_lists_are_rejected(entries: list[Entry], message: str) -> None:
    with pytest.raises(UnsafePathError, match=message):
        normalize(entries)


def test_explicit_folders_merge_with_implied_ones() -> None:
    placed = normalize([Entry.directory("a"), Entry.file("a/b", b""), Entry.directory("a/")])
    assert [(e.path, e.kind) for e in placed] == [("a", "dir"), ("a/b", "file")]


def test_a_file_changed_while_writing_is_detected(tmp_path: Path) -> None:
    file = tmp_path / "f"
    file.write_bytes(b"one")
    entry = Entry.from_file("f", file)
    assert entry.source is not None
    entry.source.digest()  # hashed (e.g. for the cache key) before the tar is written...
    file.write_bytes(b"two")  # ...then changed, same size
    with pytest.raises(Exception, match="changed while the layer was being written"):
        write_tar([entry], io.BytesIO())


def test_entries_of_the_wrong_shape_are_rejected() -> None:
    with pytest.raises(UnsafePathError, match="a file entry has no content"):
        normalize([Entry("a")])
    with pytest.raises(UnsafePathError, match="a dir entry cannot have content"):
        normalize([Entry("a", "dir", source=Entry.file("x", b"").source)])
    with pytest.raises(UnsafePathError, match="symlink to '' is empty"):
        normalize([Entry.symlink("a", "")])
