"""Interop with the real tools: skopeo reads our layouts and we read skopeo's; docker loads ours."""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from dataclasses import replace
from pathlib import Path

import pytest

from builder import (
    Cache,
    Digest,
    Image,
    layer_from_tree,
    read_layout,
    validate_layout,
    write_docker_archive,
    write_layout,
)
from builder.testing import random_image

SKOPEO = shutil.which("skopeo")
DOCKER = "/usr/bin/docker"

needs_skopeo = pytest.mark.skipif(SKOPEO is None, reason="skopeo is not installed")


def docker_works() -> bool:
    if not Path(DOCKER).exists():
        return False
    probe = subprocess.run([DOCKER, "version"], capture_output=True, timeout=30, check=False)
    return probe.returncode == 0


needs_docker = pytest.mark.skipif(not docker_works(), reason="no usable Docker daemon")


def skopeo(*args: str) -> str:
    assert SKOPEO is not None
    argv = [SKOPEO, "--insecure-policy", *args]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, f"{argv} failed: {done.stderr}"
    return done.stdout


def function_image(tmp_path: Path) -> Image:
    src = tmp_path / "src"
    (src / "pkg").mkdir(parents=True)
    (src / "app.py").write_text("def handler(event, context):\n    return 'ok'\n")
    (src / "pkg" / "run.sh").write_text("#!/bin/sh\n")
    (src / "pkg" / "run.sh").chmod(0o755)
    (src / "link.py").symlink_to("app.py")
    code = layer_from_tree(src, prefix="/var/task", cache=Cache(tmp_path / "cache"))
    image = random_image(layers=1, seed=3).with_layers(code)
    config = image.config.with_env("LAMBDA_TASK_ROOT", "/var/task").with_labels(
        {"test.run": uuid.uuid4().hex}  # a unique image ID, so cleanup removes only ours
    )
    return image.with_config(replace(config, cmd=("app.handler",), workdir="/var/task"))


@needs_skopeo
def test_skopeo_inspects_and_copies_our_layout(tmp_path: Path) -> None:
    image = function_image(tmp_path)
    write_layout(tmp_path / "oci", image, tag="fn")
    inspected = json.loads(skopeo("inspect", f"oci:{tmp_path / 'oci'}:fn"))
    assert inspected["Digest"] == str(image.digest)
    assert inspected["Layers"] == [str(layer.digest) for layer in image.layers]
    assert "LAMBDA_TASK_ROOT=/var/task" in inspected["Env"]
    raw = skopeo("inspect", "--raw", f"oci:{tmp_path / 'oci'}:fn")
    assert raw.encode() == image.manifest_bytes()
    skopeo("copy", f"oci:{tmp_path / 'oci'}:fn", f"docker-archive:{tmp_path / 'x.tar'}")
    assert (tmp_path / "x.tar").stat().st_size > 0


@needs_skopeo
def test_we_read_a_layout_written_by_skopeo_from_a_docker_archive(tmp_path: Path) -> None:
    image = function_image(tmp_path)
    write_layout(tmp_path / "ours", image, tag="fn")
    archive = tmp_path / "docker.tar"
    skopeo("copy", f"oci:{tmp_path / 'ours'}:fn", f"docker-archive:{archive}:fn:latest")
    skopeo("copy", f"docker-archive:{archive}", f"oci:{tmp_path / 'theirs'}:copied")
    validate_layout(tmp_path / "theirs", tag="copied")
    theirs = read_layout(tmp_path / "theirs", "copied", verify=True)
    inspected = json.loads(skopeo("inspect", f"oci:{tmp_path / 'theirs'}:copied"))
    assert theirs.digest == Digest.parse(inspected["Digest"])
    assert theirs.config.diff_ids == image.config.diff_ids  # same tars, recompressed by skopeo
    assert (theirs.config.env, theirs.config.cmd) == (image.config.env, image.config.cmd)
    # and an image built on top of skopeo's output is valid again
    changed = theirs.with_layers(image.layers[-1])
    write_layout(tmp_path / "theirs", changed, tag="changed")
    validate_layout(tmp_path / "theirs", tag="changed")
    skopeo("inspect", f"oci:{tmp_path / 'theirs'}:changed")


@needs_skopeo
def test_skopeo_reads_our_docker_archive_both_ways(tmp_path: Path) -> None:
    image = function_image(tmp_path)
    archive = tmp_path / "image.tar"
    with archive.open("wb") as out:
        write_docker_archive(image, out, tags=["lambdabox-test/fn:v1"])
    as_oci = json.loads(skopeo("inspect", f"oci-archive:{archive}"))
    assert as_oci["Digest"] == str(image.digest)
    as_docker = json.loads(skopeo("inspect", "--config", f"docker-archive:{archive}"))
    assert as_docker["config"]["Cmd"] == ["app.handler"]
    again = tmp_path / "again.tar"
    with again.open("wb") as out:
        write_docker_archive(image, out, tags=["lambdabox-test/fn:v1"])
    assert again.read_bytes() == archive.read_bytes()


@needs_docker
def test_docker_loads_our_docker_archive(tmp_path: Path) -> None:
    image = function_image(tmp_path)
    archive = tmp_path / "image.tar"
    with archive.open("wb") as out:
        write_docker_archive(image, out)  # untagged: docker reports the image ID
    image_id = str(image.config_digest)
    try:
        loaded = subprocess.run(
            [DOCKER, "load", "-i", str(archive)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert loaded.returncode == 0, loaded.stderr
        assert image_id in loaded.stdout
        inspected = subprocess.run(
            [DOCKER, "image", "inspect", image_id],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        (details,) = json.loads(inspected.stdout)
        assert details["Id"] == image_id
        assert details["Config"]["Env"] == list(image.config.env)
        assert details["Config"]["Cmd"] == ["app.handler"]
        assert details["Config"]["WorkingDir"] == "/var/task"
        assert details["RootFS"]["Layers"] == [str(d) for d in image.config.diff_ids]
    finally:
        subprocess.run(
            [DOCKER, "image", "rm", image_id], capture_output=True, timeout=60, check=False
        )
