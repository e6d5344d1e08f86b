"""The builder against hostile archives, folders and layouts (public ``builder`` API only).

Each hostile input gives a typed :class:`builder.BuilderError` naming the entry,
nothing is written outside the output, and a layout written before stays valid.
"""

from __future__ import annotations

import json
import os
import stat
import warnings
import zipfile
from pathlib import Path

import pytest

import builder
from builder import BuilderError, Cache, layer_from_tree, layer_from_zip, scratch


def _zip(path: Path, entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> Path:
    with warnings.catch_warnings(), zipfile.ZipFile(path, "w") as archive:
        warnings.simplefilter("ignore", UserWarning)  # zipfile warns on duplicate names
        for info, data in entries:
            archive.writestr(info, data)
    return path


def _symlink_info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


@pytest.fixture
def good_layout(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    (src / "app.py").write_text("def handler(e, c):\n    return e\n")
    layout = tmp_path / "out"
    image = scratch("amd64").with_layers(layer_from_tree(src, prefix="/var/task"))
    builder.write_layout(layout, image, tag="latest")
    builder.validate_layout(layout)
    return layout


HOSTILE_ZIPS: dict[str, tuple[list[tuple[zipfile.ZipInfo | str, bytes]], str]] = {
    "dot-dot": ([("../evil.py", b"x")], "../evil.py"),
    "nested dot-dot": ([("a/../../evil.py", b"x")], "evil.py"),
    "absolute": ([("/etc/evil", b"x")], "/etc/evil"),
    "drive letter": ([("C:/evil.py", b"x")], "C:"),
    "backslash dot-dot": ([("..\\evil.py", b"x")], "evil.py"),
    "symlink outside": ([(_symlink_info("link"), b"/etc/passwd")], "link"),
    "symlink dot-dot": ([(_symlink_info("link"), b"../../outside")], "link"),
    "duplicate": ([("app.py", b"1"), ("app.py", b"2")], "app.py"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_ZIPS))
def test_hostile_zip_is_refused_naming_the_entry(
    tmp_path: Path, good_layout: Path, case: str
) -> None:
    entries, named = HOSTILE_ZIPS[case]
    package = _zip(tmp_path / "fn.zip", entries)
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(BuilderError) as caught:
        layer_from_zip(package, cache=Cache(tmp_path / "cache"))
    assert named in str(caught.value), f"{case}: {caught.value}"
    after = sorted(p.name for p in tmp_path.iterdir() if p.name != "cache")
    assert after == [n for n in before if n != "cache"], "something was written outside"
    builder.validate_layout(good_layout)


def test_zip_bomb_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bomb.zip"
    zeros = b"\0" * (100 << 20)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for n in range(3):  # 300 MB unzipped from a 300 KB zip
            archive.writestr(f"bomb{n}.bin", zeros)
    with pytest.raises(BuilderError) as caught:
        layer_from_zip(path, cache=Cache(tmp_path / "cache"))
    assert "bomb2.bin" in str(caught.value)
    assert "250 MB" in str(caught.value)
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").rglob("*.tar*"))


def test_invalid_utf8_name_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "fn.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("caf\u00e9.py", b"x")  # a non-ASCII name: stored with the UTF-8 flag
    path.write_bytes(path.read_bytes().replace("\u00e9".encode(), b"\xff\xfe"))
    with pytest.raises(BuilderError) as caught:
        layer_from_zip(path, cache=Cache(tmp_path / "cache"))
    assert "caf" in str(caught.value)
    assert "UTF-8" in str(caught.value)


def test_tree_symlink_outside_is_refused(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "app.py").write_text("x")
    os.symlink("/etc/passwd", src / "escape")
    with pytest.raises(BuilderError) as caught:
        layer_from_tree(src, prefix="/var/task")
    assert "escape" in str(caught.value)


def test_tree_hard_link_to_outside_is_plain_content(tmp_path: Path) -> None:
    outside = tmp_path / "secret"
    outside.write_text("secret")
    src = tmp_path / "src"
    src.mkdir()
    os.link(outside, src / "linked")
    layer = layer_from_tree(src, prefix="/var/task")
    assert layer.digest  # a hard link is just a file: its content is copied, no link escapes


def test_tree_device_file_is_refused(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    os.mkfifo(src / "pipe")
    with pytest.raises(BuilderError) as caught:
        layer_from_tree(src, prefix="/var/task")
    assert "pipe" in str(caught.value)


def test_corrupt_and_truncated_layouts_are_typed_errors(good_layout: Path) -> None:
    index = json.loads((good_layout / "index.json").read_text())
    manifest_digest = index["manifests"][0]["digest"].split(":")[1]
    blob = good_layout / "blobs" / "sha256" / manifest_digest
    original = blob.read_bytes()
    blob.write_bytes(original[: len(original) // 2])
    with pytest.raises(BuilderError) as caught:
        builder.read_layout(good_layout)
    assert manifest_digest[:12] in str(caught.value)
    blob.write_bytes(original.replace(b"application", b"applicatioN"))
    with pytest.raises(BuilderError):
        builder.read_layout(good_layout)
    blob.write_bytes(original)
    (good_layout / "index.json").write_text("{not json")
    with pytest.raises(BuilderError):
        builder.read_layout(good_layout)
