"""Images in OCI layouts: write, validate, read back; reproducible, idempotent and atomic."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import signal
import subprocess
import sys
import tarfile
import time
from dataclasses import replace
from pathlib import Path
from typing import IO

import pytest

from builder import (
    Cache,
    Digest,
    History,
    Image,
    LayoutError,
    ValidationError,
    layer_from_tree,
    read_layout,
    scratch,
    validate_image,
    validate_layout,
    write_layout,
)
from builder.oci import media_types as mt
from builder.oci.layer import BytesLayer
from builder.oci.manifest import (
    ANNOTATION_BASE_NAME,
    ANNOTATION_REF_NAME,
    Descriptor,
    Index,
    Manifest,
)
from builder.testing import random_image

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True)
def _cache_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAMBDABOX_CACHE", str(tmp_path / "default-cache"))


def function_image(tmp_path: Path, cache_name: str = "cache") -> Image:
    src = tmp_path / "src"
    if not src.exists():
        (src / "pkg").mkdir(parents=True)
        (src / "app.py").write_text("def handler(event, context):\n    return 'ok'\n")
        (src / "pkg" / "util.py").write_text("X = 1\n" * 1000)
    code = layer_from_tree(src, prefix="/var/task", cache=Cache(tmp_path / cache_name))
    image = random_image(layers=1, seed=7).with_layers(code)
    config = image.config.with_env("LAMBDA_TASK_ROOT", "/var/task")
    return image.with_config(replace(config, cmd=("app.handler",), workdir="/var/task"))


def blobs(layout: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in (layout / "blobs" / "sha256").iterdir()}


def test_write_validate_and_read_back(tmp_path: Path) -> None:
    image = function_image(tmp_path)
    descriptor = write_layout(tmp_path / "oci", image, tag="fn")
    assert descriptor.digest == image.digest
    validate_layout(tmp_path / "oci")
    validate_layout(tmp_path / "oci", tag="fn")
    back = read_layout(tmp_path / "oci", "fn", verify=True)
    assert back.digest == image.digest
    assert back.config == image.config
    assert [layer.history for layer in back.layers] == [layer.history for layer in image.layers]
    validate_image(back)
    assert json.loads((tmp_path / "oci" / "oci-layout").read_text()) == {
        "imageLayoutVersion": "1.0.0"
    }
    (entry,) = json.loads((tmp_path / "oci" / "index.json").read_text())["manifests"]
    assert entry["annotations"] == {"org.opencontainers.image.ref.name": "fn"}
    assert entry["platform"] == {"architecture": "amd64", "os": "linux"}


def test_canonical_json_and_history_per_layer(tmp_path: Path) -> None:
    image = function_image(tmp_path).with_base("docker.io/library/python:3.12", Digest.of(b"b"))
    for data in (image.manifest_bytes(), image.config_bytes()):
        assert data == json.dumps(json.loads(data), sort_keys=True, separators=(",", ":")).encode()
    manifest = json.loads(image.manifest_bytes())
    assert manifest["mediaType"] == mt.OCI_MANIFEST
    assert manifest["annotations"][ANNOTATION_BASE_NAME] == "docker.io/library/python:3.12"
    config = json.loads(image.config_bytes())
    assert len(config["history"]) == len(image.layers) == 2
    assert config["history"][1]["created_by"] == "lambdabox: layer at /var/task"


def test_two_builds_of_the_same_inputs_are_identical(tmp_path: Path) -> None:
    first = function_image(tmp_path, cache_name="cache-a")
    second = function_image(tmp_path, cache_name="cache-b")  # built again, not from a cache
    write_layout(tmp_path / "a", first, tag="fn")
    write_layout(tmp_path / "b", second, tag="fn")
    assert first.digest == second.digest
    assert blobs(tmp_path / "a") == blobs(tmp_path / "b")
    assert (tmp_path / "a" / "index.json").read_bytes() == (
        tmp_path / "b" / "index.json"
    ).read_bytes()


def test_rewriting_skips_present_blobs_and_keeps_other_tags(tmp_path: Path) -> None:
    layout = tmp_path / "oci"
    base, app = random_image(seed=1), function_image(tmp_path)
    write_layout(layout, base, tag="base")
    write_layout(layout, app, tag="app")
    stamps = {p.name: p.stat().st_mtime_ns for p in (layout / "blobs" / "sha256").iterdir()}
    write_layout(layout, app, tag="app")
    assert {p.name: p.stat().st_mtime_ns for p in (layout / "blobs" / "sha256").iterdir()} == stamps
    assert read_layout(layout, "base").digest == base.digest
    write_layout(layout, base, tag="app")  # retag
    assert read_layout(layout, "app").digest == base.digest
    assert len(json.loads((layout / "index.json").read_text())["manifests"]) == 2


def test_verify_rewrites_a_corrupt_blob_of_the_right_size(tmp_path: Path) -> None:
    layout, image = tmp_path / "oci", random_image()
    write_layout(layout, image)
    blob = layout / "blobs" / "sha256" / image.layers[0].digest.hex
    good = blob.read_bytes()
    blob.write_bytes(bytes(len(good)))
    write_layout(layout, image)  # same size: trusted
    assert blob.read_bytes() != good
    with pytest.raises(LayoutError, match="corrupt"):
        read_layout(layout, verify=True)
    write_layout(layout, image, verify=True)
    assert blob.read_bytes() == good
    validate_layout(layout)


def test_validation_lists_every_problem(tmp_path: Path) -> None:
    layout, image = tmp_path / "oci", random_image(layers=2)
    write_layout(layout, image)
    first, second = (layout / "blobs" / "sha256" / layer.digest.hex for layer in image.layers)
    first.write_bytes(first.read_bytes() + b"junk")  # size and digest no longer match
    second.unlink()
    with pytest.raises(ValidationError) as caught:
        validate_layout(layout)
    problems = "\n".join(caught.value.problems)
    assert "layer 1: blob is sha256:" in problems
    assert f"descriptor says {image.layers[0].digest} ({image.layers[0].size} bytes)" in problems
    assert f"layer 2 ({image.layers[1].digest}): blob is missing" in problems
    with pytest.raises(LayoutError, match=r"does not match .* write the image again"):
        read_layout(layout)


def tar_gz(*names: str) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for name in names:
            tar.addfile(tarfile.TarInfo(name))
    return gzip.compress(out.getvalue(), mtime=0)


def test_validation_checks_diff_ids_history_media_types_and_tar_paths(tmp_path: Path) -> None:
    good = BytesLayer(tar_gz("a"), history=History("ok"))
    dupes = BytesLayer(tar_gz("b", "./b", "../evil"), history=History("dupes"))
    image = scratch().with_layers(good, dupes)
    wrong = replace(
        image.config,
        diff_ids=(Digest.of(b"not it"), image.config.diff_ids[1]),
        history=(History("only one"),),
    )
    config = wrong.to_json()
    manifest = Manifest(
        Descriptor(mt.DOCKER_CONFIG, Digest.of(config), len(config)),
        (
            Descriptor(mt.OCI_LAYER_GZIP, good.digest, good.size),
            Descriptor(mt.DOCKER_LAYER_GZIP, dupes.digest, dupes.size),
        ),
    ).to_json()
    bad = Image(image.layers, wrong, raw_manifest=manifest, raw_config=config)
    write_layout(tmp_path / "oci", bad)
    with pytest.raises(ValidationError) as caught:
        validate_layout(tmp_path / "oci")
    problems = "\n".join(caught.value.problems)
    assert "config mediaType is 'application/vnd.docker.container.image.v1+json'" in problems
    assert f"layer {dupes.digest.short} has mediaType 'application/vnd.docker" in problems
    assert "config diff_id is sha256:" in problems
    assert "1 non-empty entries for 2 layers" in problems
    assert "'b' appears more than once" in problems
    assert "unsafe path '../evil'" in problems
    with pytest.raises(ValidationError):
        validate_image(bad)


def test_docker_media_types_are_read_and_not_mixed_on_change(tmp_path: Path) -> None:
    image = random_image()
    config = image.config_bytes()
    manifest = Manifest(
        Descriptor(mt.DOCKER_CONFIG, Digest.of(config), len(config)),
        tuple(Descriptor(mt.DOCKER_LAYER_GZIP, lay.digest, lay.size) for lay in image.layers),
        media_type=mt.DOCKER_MANIFEST,
    ).to_json()
    docker = Image(image.layers, image.config, raw_manifest=manifest, raw_config=config)
    write_layout(tmp_path / "oci", docker)
    validate_layout(tmp_path / "oci")
    back = read_layout(tmp_path / "oci")
    assert back.digest == Digest.of(manifest)
    assert back.layers[0].media_type == mt.DOCKER_LAYER_GZIP
    changed = back.with_layers(BytesLayer(tar_gz("x"), history=History("x")))
    types = {d["mediaType"] for d in json.loads(changed.manifest_bytes())["layers"]}
    assert types == {mt.OCI_LAYER_GZIP}  # same bytes, OCI names
    write_layout(tmp_path / "oci", changed, tag="changed")
    validate_layout(tmp_path / "oci", tag="changed")


def test_a_base_without_history_gets_one_entry_per_layer(tmp_path: Path) -> None:
    base = random_image(layers=2)
    bare = base.with_config(replace(base.config, history=()))
    image = bare.with_layers(BytesLayer(tar_gz("x"), history=History("mine")))
    steps = [step.created_by for step in image.config.history]
    assert steps == ["base layer 1", "base layer 2", "mine"]
    validate_image(image)


def test_scratch_images() -> None:
    assert scratch().platform.architecture == "amd64"
    arm = scratch("arm64")
    assert (arm.config.architecture, arm.config.variant) == ("arm64", "v8")
    assert arm.digest != scratch().digest
    with pytest.raises(Exception, match="amd64 or arm64"):
        scratch("s390x")


def test_bad_tags_and_missing_tags(tmp_path: Path) -> None:
    with pytest.raises(LayoutError, match="not a valid ref name"):
        write_layout(tmp_path / "oci", random_image(), tag="no spaces")
    write_layout(tmp_path / "oci", random_image(), tag="a")
    write_layout(tmp_path / "oci", random_image(seed=2), tag="b")
    with pytest.raises(LayoutError, match="holds 2 images"):
        read_layout(tmp_path / "oci")
    with pytest.raises(LayoutError, match="no image tagged 'c'; tags: a, b"):
        read_layout(tmp_path / "oci", "c")


# --- atomicity -----------------------------------------------------------------------------


class FailingLayer(BytesLayer):
    """A layer whose blob stream breaks after its first 4 KiB."""

    def open_compressed(self) -> IO[bytes]:
        class Broken(io.BytesIO):
            def read(self, size: int | None = -1) -> bytes:
                if self.tell() >= 4096:
                    raise OSError("disk gone")
                return super().read(4096)

        return Broken(self.data)


def swap_top_layer(image: Image, layer: BytesLayer) -> Image:
    """`image` with its top layer's stream replaced by `layer`'s (same bytes, so same config)."""
    return Image((*image.layers[:-1], layer), image.config, image.annotations)


def test_a_failed_write_leaves_the_previous_state(tmp_path: Path) -> None:
    layout, before = tmp_path / "oci", random_image(seed=1)
    write_layout(layout, before, tag="app")
    index = (layout / "index.json").read_bytes()
    big = BytesLayer(gzip.compress(os.urandom(64 * 1024), mtime=0), history=History("big"))
    after = swap_top_layer(before.with_layers(big), FailingLayer(big.data, history=big.history))
    with pytest.raises(OSError, match="disk gone"):
        write_layout(layout, after, tag="app")
    assert (layout / "index.json").read_bytes() == index
    assert not [p for p in (layout / "blobs" / "sha256").iterdir() if p.name.startswith(".tmp")]
    validate_layout(layout)
    assert read_layout(layout, "app").digest == before.digest


KILLED_WRITER = """
import gzip, io, os, sys, time
from pathlib import Path
sys.path.insert(0, {root!r})
from builder import Image, write_layout
from builder.oci.layer import BytesLayer
from builder.testing import random_image

marker = Path({marker!r})

class Slow(io.BytesIO):
    def read(self, size=-1):
        if self.tell() >= 256 * 1024:
            marker.write_text("half written")
            time.sleep(60)
        return super().read(64 * 1024)

class SlowLayer(BytesLayer):
    def open_compressed(self):
        return Slow(self.data)

big = BytesLayer(gzip.compress(os.urandom(1024 * 1024), mtime=0, compresslevel=1))
image = random_image(seed=1).with_layers(big)
image = Image((*image.layers[:-1], SlowLayer(big.data)), image.config)
write_layout(Path({layout!r}), image, tag="app")
"""


@pytest.mark.parametrize("previous", [True, False], ids=["over-a-layout", "fresh-folder"])
def test_a_writer_killed_mid_layer_never_leaves_a_broken_index(
    tmp_path: Path, previous: bool
) -> None:
    layout, marker = tmp_path / "oci", tmp_path / "marker"
    before = random_image(seed=1)
    if previous:
        write_layout(layout, before, tag="app")
    script = KILLED_WRITER.format(root=str(ROOT), marker=str(marker), layout=str(layout))
    proc = subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 20
        while not marker.exists():
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "the writer never reached the big layer"
            time.sleep(0.01)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        if proc.stderr:
            proc.stderr.close()
    temp_files = [p for p in (layout / "blobs" / "sha256").iterdir() if p.name.startswith(".tmp")]
    assert temp_files, "the kill should have interrupted a blob write"
    if previous:
        validate_layout(layout)
        assert read_layout(layout, "app").digest == before.digest
    else:
        assert not (layout / "index.json").exists()
    for name in blobs(layout):  # every blob under its final name is complete
        if not name.startswith(".tmp"):
            data = (layout / "blobs" / "sha256" / name).read_bytes()
            assert hashlib.sha256(data).hexdigest() == name
    write_layout(layout, before, tag="app")  # and the layout is still usable
    validate_layout(layout)


def point_tag_at_index(layout: Path, tag: str, *images: Image) -> None:
    """Make `tag` name an image index of `images` (already written to `layout`)."""
    nested = Index(tuple(image.descriptor() for image in images)).to_json()
    (layout / "blobs" / "sha256" / Digest.of(nested).hex).write_bytes(nested)
    entry = Descriptor(mt.OCI_INDEX, Digest.of(nested), len(nested), {ANNOTATION_REF_NAME: tag})
    (layout / "index.json").write_bytes(Index((entry,)).to_json())


def test_a_tag_naming_a_single_platform_index_is_read(tmp_path: Path) -> None:
    image = random_image()
    write_layout(tmp_path / "oci", image)
    point_tag_at_index(tmp_path / "oci", "idx", image)
    assert read_layout(tmp_path / "oci", "idx").digest == image.digest
    validate_layout(tmp_path / "oci")


def test_a_multi_platform_index_names_the_platforms_and_the_fix(tmp_path: Path) -> None:
    amd = random_image()
    arm = scratch("arm64").with_layers(*amd.layers)
    write_layout(tmp_path / "oci", amd, tag="amd")
    write_layout(tmp_path / "oci", arm, tag="arm")
    point_tag_at_index(tmp_path / "oci", "both", amd, arm)
    with pytest.raises(LayoutError, match=r"linux/amd64, linux/arm64/v8.*--override-arch"):
        read_layout(tmp_path / "oci", "both")
    validate_layout(tmp_path / "oci")


def test_malformed_manifests_are_layout_errors(tmp_path: Path) -> None:
    image = random_image()
    write_layout(tmp_path / "oci", image)
    manifest = b'{"schemaVersion": 2, "config": {"digest": "sha256:nope", "size": 1}}'
    (tmp_path / "oci" / "blobs" / "sha256" / Digest.of(manifest).hex).write_bytes(manifest)
    entry = Descriptor(mt.OCI_MANIFEST, Digest.of(manifest), len(manifest))
    (tmp_path / "oci" / "index.json").write_bytes(Index((entry,)).to_json())
    with pytest.raises(LayoutError, match=r"is malformed.*sha256:nope"):
        read_layout(tmp_path / "oci")
    with pytest.raises(ValidationError, match="not a valid image manifest"):
        validate_layout(tmp_path / "oci")
