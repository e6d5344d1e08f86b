"""Lambda .zip deployment packages: unsafe members are refused by name, good ones become entries."""

from __future__ import annotations

import io
import stat
import tarfile
import warnings
import zipfile
from pathlib import Path

import pytest

from builder import Cache, UnsafePathError, layer_from_tree, layer_from_zip
from builder.layers.tarball import write_tar
from builder.layers.zip_package import ZipPackage

FILE = stat.S_IFREG | 0o644
EXE = stat.S_IFREG | 0o755
LINK = stat.S_IFLNK | 0o777
DIR = stat.S_IFDIR | 0o755


@pytest.fixture(autouse=True)
def _cache_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAMBDABOX_CACHE", str(tmp_path / "default-cache"))


def make_zip(path: Path, members: list[tuple[str, int, bytes]]) -> Path:
    with zipfile.ZipFile(path, "w") as archive, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate names we want
        for name, mode, data in members:
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.create_system = 3  # Unix: external_attr carries the mode
            info.external_attr = mode << 16
            archive.writestr(info, data)
    return path


GOOD = [
    ("app.py", FILE, b"def handler(e, c):\n    return e\n"),
    ("bin/", DIR, b""),
    ("bin/tool", EXE, b"#!/bin/sh\n"),
    ("lib/pkg/__init__.py", FILE, b""),
    ("lib/current", LINK, b"pkg"),
]


def test_a_good_zip_becomes_entries(tmp_path: Path) -> None:
    with ZipPackage(make_zip(tmp_path / "fn.zip", GOOD)) as package:
        kinds = {e.path: (e.kind, e.executable, e.target) for e in package.entries}
        out = io.BytesIO()
        write_tar(package.entries, out, prefix="/var/task")
    assert kinds == {
        "app.py": ("file", False, ""),
        "bin": ("dir", False, ""),
        "bin/tool": ("file", True, ""),
        "lib/pkg/__init__.py": ("file", False, ""),
        "lib/current": ("symlink", False, "pkg"),
    }
    with tarfile.open(fileobj=io.BytesIO(out.getvalue())) as tar:
        found = {m.name: m for m in tar.getmembers()}
        handler = tar.extractfile("var/task/app.py")
        assert handler is not None
        assert handler.read() == GOOD[0][2]
    assert found["var/task/bin/tool"].mode == 0o755
    assert found["var/task/lib/current"].linkname == "pkg"
    assert "var/task/lib" in found  # implied parent made explicit


def test_a_zip_without_unix_modes_gives_0644_files(tmp_path: Path) -> None:
    path = tmp_path / "win.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a/b.py", b"x")  # create_system depends on the host; force "DOS"
        archive.infolist()[0].create_system = 0
    with ZipPackage(path) as package:
        assert [(e.path, e.kind, e.mode) for e in package.entries] == [("a/b.py", "file", 0o644)]


@pytest.mark.parametrize(
    ("members", "bad", "message"),
    [
        ([("../evil", FILE, b"x")], "../evil", r"contains '\.\.'"),
        ([("ok/../../evil", FILE, b"x")], "ok/../../evil", r"contains '\.\.'"),
        ([("/abs/evil", FILE, b"x")], "/abs/evil", "absolute"),
        ([("..\\evil", FILE, b"x")], "..\\evil", "backslash"),
        ([("a.py", FILE, b"1"), ("a.py", FILE, b"2")], "a.py", "already used by member 'a.py'"),
        ([("a/b.py", FILE, b"1"), ("a//b.py", FILE, b"2")], "a//b.py", "already used"),
        ([("link", LINK, b"../../etc/passwd")], "link", "points outside the tree"),
        ([("link", LINK, b"/etc/passwd")], "link", "is absolute"),
        ([("d", LINK, b"."), ("x", LINK, b"d/../etc")], "x", "points outside the tree"),
        ([("fifo", stat.S_IFIFO | 0o644, b"")], "fifo", "not a regular file"),
    ],
)
def test_unsafe_members_are_refused_by_name(
    tmp_path: Path, members: list[tuple[str, int, bytes]], bad: str, message: str
) -> None:
    path = make_zip(tmp_path / "evil.zip", members)
    with pytest.raises(UnsafePathError, match=message) as caught:
        layer_from_zip(path, cache=Cache(tmp_path / "cache"))
    assert caught.value.path == f"{path}:{bad}"


def test_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "fn.zip"
    path.write_bytes(b"not a zip")
    with pytest.raises(Exception, match="cannot read the zip"):
        ZipPackage(path)


def test_layer_from_zip_matches_layer_from_the_same_tree(tmp_path: Path) -> None:
    zipped = make_zip(tmp_path / "fn.zip", GOOD)
    tree = tmp_path / "tree"
    for name, mode, data in GOOD:
        target = tree / name
        if stat.S_ISDIR(mode):
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if stat.S_ISLNK(mode):
            target.symlink_to(data.decode())
        else:
            target.write_bytes(data)
            target.chmod(mode & 0o777)
    cache = Cache(tmp_path / "cache")
    from_zip = layer_from_zip(zipped, cache=cache)
    from_tree = layer_from_tree(tree, prefix="/var/task", cache=cache)
    assert (from_zip.digest, from_zip.diff_id) == (from_tree.digest, from_tree.diff_id)


def test_zip_written_by_writestr_is_accepted(tmp_path: Path) -> None:
    import zipfile

    from builder import layer_from_zip

    package = tmp_path / "app.zip"
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("app.py", "def handler(e, c):\n    return 1\n")
    layer = layer_from_zip(package)
    assert layer.size > 0
