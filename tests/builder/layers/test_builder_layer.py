"""Layers and their identities, checked against hashlib/gzip directly; the layer cache; values."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import tarfile
from pathlib import Path

import pytest

from builder import (
    BlobLayer,
    BuilderError,
    Cache,
    Digest,
    DigestError,
    Entry,
    ImageConfig,
    layer_from_entries,
    layer_from_tree,
    source_date_epoch,
)
from builder.layers.cache import CACHE_ENV
from builder.oci.layer import BytesLayer
from builder.oci.reproducible import DEFAULT_EPOCH, rfc3339


@pytest.fixture(autouse=True)
def default_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "default-cache"
    monkeypatch.setenv(CACHE_ENV, str(cache))
    return cache


def sha256(data: bytes) -> Digest:
    return Digest("sha256", hashlib.sha256(data).hexdigest())


def make_tree(root: Path, files: int = 20) -> Path:
    for i in range(files):
        path = root / f"pkg{i % 3}" / f"mod{i}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"VALUE = {i}\n" * 50)
    return root


def test_built_layer_identities_match_an_independent_computation(tmp_path: Path) -> None:
    layer = layer_from_tree(make_tree(tmp_path / "src"), prefix="/var/task", cache=Cache(tmp_path))
    blob = layer.path.read_bytes()
    assert layer.digest == sha256(blob)
    assert layer.size == len(blob)
    assert layer.diff_id == sha256(gzip.decompress(blob))
    assert blob[:10] == b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # mtime 0, no name, OS unknown
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(blob))) as tar:
        assert "var/task/pkg0/mod0.py" in tar.getnames()
    with layer.open_uncompressed() as tar_stream:
        assert tar_stream.read() == gzip.decompress(blob)


def test_a_blob_layer_computes_its_identities_lazily_and_once(tmp_path: Path) -> None:
    tar = io.BytesIO()
    with tarfile.open(fileobj=tar, mode="w") as archive:
        info = tarfile.TarInfo("hello.txt")
        info.size = 5
        archive.addfile(info, io.BytesIO(b"hello"))
    blob = gzip.compress(tar.getvalue(), mtime=0)
    path = tmp_path / "blob"
    path.write_bytes(blob)
    layer = BlobLayer(path)
    assert "digest" not in vars(layer)
    assert "diff_id" not in vars(layer)
    assert layer.digest == sha256(blob)
    assert layer.diff_id == sha256(tar.getvalue())
    assert layer.size == len(blob)
    path.write_bytes(b"changed")  # cached: not read again
    assert (layer.digest, layer.size) == (sha256(blob), len(blob))


def test_a_blob_layer_with_a_known_digest_checks_it_on_read(tmp_path: Path) -> None:
    path = tmp_path / "blob"
    path.write_bytes(gzip.compress(b"x" * 1024))
    layer = BlobLayer(path, known_digest=Digest.of(b"other"), known_size=path.stat().st_size)
    with pytest.raises(BuilderError, match="corrupt"), layer.open_compressed() as stream:
        stream.read()


def test_bytes_layer() -> None:
    blob = gzip.compress(b"\0" * 1024, mtime=0)
    layer = BytesLayer(blob)
    assert (layer.digest, layer.size, layer.diff_id) == (
        sha256(blob),
        len(blob),
        sha256(b"\0" * 1024),
    )


def test_unchanged_inputs_are_served_from_the_cache(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "cache")
    root = make_tree(tmp_path / "src")
    first = layer_from_tree(root, cache=cache)
    written = first.path.stat().st_mtime_ns
    os.utime(root / "pkg0" / "mod0.py", (1, 1))  # touched, not changed
    again = layer_from_tree(root, cache=cache)
    assert again == first
    assert again.path.stat().st_mtime_ns == written  # the blob was not written again
    assert len(list((tmp_path / "cache" / "keys").iterdir())) == 1
    (root / "pkg0" / "mod0.py").write_text("changed\n")
    changed = layer_from_tree(root, cache=cache)
    assert changed.digest != first.digest
    assert first.path.exists()  # the old blob stays for the old key


def test_cache_key_covers_mtime_and_gzip_level(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "cache")
    entries = [Entry.file("a", b"a" * 10_000)]
    base = layer_from_entries(entries, cache=cache)
    assert layer_from_entries(entries, cache=cache, mtime=5).diff_id != base.diff_id
    fast = layer_from_entries(entries, cache=cache, compresslevel=1)
    assert fast.diff_id == base.diff_id
    assert fast.digest != base.digest


def test_a_damaged_cache_record_or_missing_blob_is_a_miss(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "cache")
    entries = [Entry.file("a", b"data")]
    layer = layer_from_entries(entries, cache=cache)
    (record,) = (tmp_path / "cache" / "keys").iterdir()
    record.write_text("{not json")
    assert layer_from_entries(entries, cache=cache) == layer
    assert json.loads(record.read_text())["digest"] == str(layer.digest)
    layer.path.unlink()
    assert layer_from_entries(entries, cache=cache) == layer
    assert layer.path.exists()


def test_an_unwritable_cache_names_the_folder_and_the_fix(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(BuilderError, match=f"{blocker}.*{CACHE_ENV}"):
        layer_from_entries([Entry.file("a", b"")], cache=Cache(blocker / "cache"))


def test_default_cache_location() -> None:
    assert Cache.default({CACHE_ENV: "/x"}).root == Path("/x")
    assert Cache.default({"XDG_CACHE_HOME": "/c"}).root == Path("/c/lambdabox/builder")
    assert Cache.default({}).root == Path.home() / ".cache" / "lambdabox" / "builder"


def test_layer_history_and_the_default_cache(default_cache: Path) -> None:
    layer = layer_from_entries([Entry.file("a", b"")], prefix="/opt", created_by="COPY a /opt")
    assert layer.path.is_relative_to(default_cache)  # LAMBDABOX_CACHE
    assert layer.history.created_by == "COPY a /opt"
    assert layer.history.created == "1980-01-01T00:00:01Z"


def test_source_date_epoch() -> None:
    assert source_date_epoch({}) == DEFAULT_EPOCH
    assert rfc3339(DEFAULT_EPOCH) == "1980-01-01T00:00:01Z"
    assert source_date_epoch({"SOURCE_DATE_EPOCH": "1700000000"}) == 1_700_000_000
    with pytest.raises(BuilderError, match="SOURCE_DATE_EPOCH='yesterday'"):
        source_date_epoch({"SOURCE_DATE_EPOCH": "yesterday"})


@pytest.mark.parametrize(
    "text", ["sha256:abc", "md5:" + "0" * 32, "sha256:" + "A" * 64, "nocolon", "sha256:" + "g" * 64]
)
def test_bad_digests_are_refused_quoting_the_input(text: str) -> None:
    with pytest.raises(DigestError) as caught:
        Digest.parse(text)
    assert text.rsplit(":", maxsplit=1)[-1][:3] in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_digest_round_trip() -> None:
    digest = Digest.of(b"")
    assert str(digest) == "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert Digest.parse(str(digest)) == digest


def test_config_round_trip_and_canonical_bytes() -> None:
    config = ImageConfig(
        env=("PATH=/bin", "LANG=C.UTF-8"),
        entrypoint=("/bin/sh", "-c"),
        cmd=(),
        workdir="/var/task",
        user="1000",
        labels={"b": "2", "a": "1"},
        exposed_ports=("8080/tcp",),
        diff_ids=(Digest.of(b"x"),),
        extra={"created_by_tool": {"z": 1}},
        config_extra={"StopSignal": "SIGTERM"},
    )
    data = config.to_json()
    assert data == json.dumps(json.loads(data), sort_keys=True, separators=(",", ":")).encode()
    assert ImageConfig.from_json(data) == config
    assert ImageConfig.from_json(data).to_json() == data
    raw = json.loads(data)
    assert raw["config"]["Cmd"] == []
    assert raw["config"]["StopSignal"] == "SIGTERM"
    assert raw["rootfs"] == {"type": "layers", "diff_ids": [str(Digest.of(b"x"))]}


def test_config_env_and_labels_helpers() -> None:
    config = ImageConfig(env=("A=1", "B=2"))
    assert config.with_env("A", "x=y").env == ("A=x=y", "B=2")  # replaced in place
    assert config.with_env("C", "3").env == ("A=1", "B=2", "C=3")
    assert config.with_env("A", "x=y").env_value("A") == "x=y"
    assert dict(config.with_labels({"k": "v"}).with_labels({"k": "w"}).labels) == {"k": "w"}
    with pytest.raises(BuilderError, match="not an environment variable name"):
        config.with_env("A=B", "1")
