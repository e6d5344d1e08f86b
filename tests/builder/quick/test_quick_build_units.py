"""The fast path's own writers against the library code they stand in for."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from builder.cli.common import split_tag
from builder.layers.entries import Entry
from builder.layers.tarball import write_layer_blob
from builder.quick.emit import dumps
from builder.quick.locate import default_name, locate
from builder.quick.tarball import write_blob

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)  # fmt: skip


@given(json_values)
@settings(max_examples=300)
def test_dumps_is_json_dumps(value: object) -> None:
    assert dumps(value) == json.dumps(value, indent=2)
    assert dumps(value, None) == json.dumps(value)


@given(st.text(min_size=1, max_size=30))
@settings(max_examples=300)
def test_default_name_is_split_tags(name: str) -> None:
    if "/" in name or "\0" in name or name in (".", ".."):
        return
    assert default_name(name) == split_tag(None, Path(name))[0]


def test_default_name_of_the_working_folder(tmp_path: Path) -> None:
    folder = tmp_path / "My Function.v2"
    folder.mkdir()
    assert default_name(str(folder)) == split_tag(None, folder)[0] == "my-function"


def test_locate_declines_what_it_does_not_know(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "src").mkdir()
    ok = ("src", "--handler", "a.h", "--base", "b")
    assert locate(ok) == ("src", str(tmp_path / ".lambdabox/out/src"), "src", "latest", False)
    assert locate((*ok, "-t", "reg:5000/fn:1", "--json"))[1:] == (  # type: ignore[index]
        str(tmp_path / ".lambdabox/out/reg:5000/fn"),
        "reg:5000/fn",
        "1",
        True,
    )
    for extra in (["--watch"], ["--load"], ["--hand", "x"], ["-h"], ["other"], ["--layer", "l"]):
        assert locate((*ok, *extra)) is None, extra
    default = locate(("src", "--handler", "a.h"))  # the default base: the record decides
    assert default == ("src", str(tmp_path / ".lambdabox/out/src"), "src", "latest", False)
    assert locate(("src", "--base", "b")) is None  # no --handler: the full path says so
    assert locate(("missing", "--handler", "a.h", "--base", "b")) is None


def test_tar_and_gzip_bytes_are_the_librarys(tmp_path: Path) -> None:
    names = ["a", "b" * 99, "c" * 101, "ü/ñ.py", "x/" + "d" * 120, "🎉"]
    entries: list[Entry] = []
    plain: list[tuple[str, str, int, str, str, int]] = [("var", "dir", 0o755, "", "", 0)]
    for n, name in enumerate(names):
        path = tmp_path / f"f{n}"
        data = os.urandom(n * 700) + b"text" * n
        path.write_bytes(data)
        entries.append(Entry.from_file(name, path, executable=n % 2 == 1))
        mode = 0o755 if n % 2 else 0o644
        plain.append((f"var/{name}", "file", mode, "", str(path), len(data)))
    entries += [Entry.symlink("link", "l" * 150), Entry.symlink("ünï", "a")]
    plain += [("var/link", "symlink", 0o777, "l" * 150, "", 0)]
    plain += [("var/ünï", "symlink", 0o777, "a", "", 0)]
    dirs = {"/".join(p[0].split("/")[:i]) for p in plain for i in range(2, p[0].count("/") + 1)}
    plain += [(d, "dir", 0o755, "", "", 0) for d in dirs]
    plain.sort(key=lambda entry: tuple(entry[0].split("/")))
    for mtime in (315532801, 8**11 + 5):
        expected = io.BytesIO()
        blob = write_layer_blob(entries, expected, prefix="/var", mtime=mtime)
        with open(tmp_path / "blob", "wb") as out:
            got = write_blob(plain, out.fileno(), mtime, 6)
        assert (tmp_path / "blob").read_bytes() == expected.getvalue()
        assert got == (blob.digest.hex, blob.diff_id.hex, blob.size)
