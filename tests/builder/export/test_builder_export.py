"""Exporters: skopeo (archives, daemon, a real registry on 127.0.0.1) and the Docker SDK."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import tarfile
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import pytest
import requests

from builder import Cache, Image, read_layout, validate_layout, write_layout
from builder.export import (
    DockerSDKExporter,
    Exporter,
    ExportError,
    MultiExporter,
    SkopeoExporter,
)
from builder.function.build import build_function
from builder.testing import random_image

SKOPEO = shutil.which("skopeo")
DOCKER = "/usr/bin/docker"
REGISTRY = "/usr/bin/docker-registry"


def docker_works() -> bool:
    if not Path(DOCKER).exists():
        return False
    probe = subprocess.run([DOCKER, "version"], capture_output=True, timeout=30, check=False)
    return probe.returncode == 0


needs_skopeo = pytest.mark.skipif(SKOPEO is None, reason="skopeo is not installed")
needs_docker = pytest.mark.skipif(
    SKOPEO is None or not docker_works(), reason="needs skopeo and a Docker daemon"
)


def skopeo(*args: str) -> str:
    assert SKOPEO is not None
    done = subprocess.run([SKOPEO, *args], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, f"skopeo {args} failed: {done.stderr}"
    return done.stdout


@pytest.fixture
def layout(tmp_path: Path) -> tuple[Path, Image]:
    src = tmp_path / "src"
    src.mkdir()
    (src / "app.py").write_text("def handler(event, context):\n    return 'ok'\n")
    image = build_function(
        src,
        base=random_image(layers=1, seed=9),
        handler="app.handler",
        env={"STAGE": "export"},
        labels={"test.run": uuid.uuid4().hex},  # a unique image ID, so cleanup removes only ours
        cache=Cache(tmp_path / "cache"),
    )
    write_layout(tmp_path / "out", image, tag="fn")
    validate_layout(tmp_path / "out", "fn")
    return tmp_path / "out", image


# -- with fakes ---------------------------------------------------------------------------


class RecordingRun:
    def __init__(self, returncode: int = 0, stderr: str = "") -> None:
        self.calls: list[list[str]] = []
        self.returncode = returncode
        self.stderr = stderr

    def __call__(self, argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
        self.calls.append(list(argv))
        return subprocess.CompletedProcess(list(argv), self.returncode, "", self.stderr)


def test_skopeo_argv_per_destination(tmp_path: Path) -> None:
    run = RecordingRun()
    exporter: Exporter = SkopeoExporter(run)
    exporter.export(tmp_path, "fn", "docker-daemon:fn:1")
    exporter.export(tmp_path, "fn", "docker://127.0.0.1:5000/fn:1")
    exporter.export(tmp_path, "fn", "docker://registry.example/fn:1")
    exporter.export(tmp_path, "fn", f"oci-archive:{tmp_path}/x.tar")
    source = f"oci:{tmp_path}:fn"
    assert run.calls == [
        ["skopeo", "copy", "--quiet", source, "docker-daemon:fn:1"],
        [
            "skopeo",
            "copy",
            "--quiet",
            "--preserve-digests",
            "--dest-tls-verify=false",
            source,
            "docker://127.0.0.1:5000/fn:1",
        ],
        [
            "skopeo",
            "copy",
            "--quiet",
            "--preserve-digests",
            source,
            "docker://registry.example/fn:1",
        ],
        ["skopeo", "copy", "--quiet", source, f"oci-archive:{tmp_path}/x.tar"],
    ]


def test_skopeo_failures_are_export_errors_naming_the_fix(tmp_path: Path) -> None:
    run = RecordingRun(1, 'time=x level=fatal msg="connection refused"\n')
    with pytest.raises(ExportError) as caught:
        SkopeoExporter(run).export(tmp_path, "fn", "docker://127.0.0.1:1/fn:1")
    error = caught.value
    assert (error.tool, error.returncode) == ("skopeo", 1)
    assert error.argv[-1] == "docker://127.0.0.1:1/fn:1"
    assert "connection refused" in error.stderr_tail
    assert "registry address" in str(error)
    with pytest.raises(ExportError, match="needs a transport"):
        SkopeoExporter(run).export(tmp_path, "fn", "fn:1")


class FakeImages:
    def __init__(self) -> None:
        self.loaded: list[bytes] = []

    def load(self, data: IO[bytes]) -> list[Any]:
        self.loaded.append(data.read())
        return []


class FakeClient:
    def __init__(self) -> None:
        self.images = FakeImages()
        self.closed = False

    def close(self) -> None:
        self.closed = True


def test_docker_sdk_exporter_streams_a_docker_archive(
    tmp_path: Path, layout: tuple[Path, Image]
) -> None:
    folder, image = layout
    client = FakeClient()
    exporter = DockerSDKExporter(lambda: client)
    MultiExporter([exporter]).export(folder, "fn", "docker-daemon:lambdabox-test/fn:v1")
    assert client.closed
    (archive,) = client.images.loaded
    (tmp_path / "a.tar").write_bytes(archive)
    with tarfile.open(tmp_path / "a.tar") as tar:
        member = tar.extractfile("manifest.json")
        assert member is not None
        manifest = json.loads(member.read())
    assert manifest[0]["RepoTags"] == ["lambdabox-test/fn:v1"]
    assert exporter.loaded == [str(image.config_digest)]


# -- with skopeo, Docker and a registry ----------------------------------------------------


@needs_skopeo
def test_skopeo_writes_docker_and_oci_archives(tmp_path: Path, layout: tuple[Path, Image]) -> None:
    folder, image = layout
    exporter = SkopeoExporter()
    exporter.export(folder, "fn", f"docker-archive:{tmp_path / 'd.tar'}:fn:v1")
    exporter.export(folder, "fn", f"oci-archive:{tmp_path / 'o.tar'}:fn")
    as_docker = json.loads(skopeo("inspect", "--config", f"docker-archive:{tmp_path / 'd.tar'}"))
    assert as_docker["config"]["Cmd"] == ["app.handler"]
    as_oci = json.loads(skopeo("inspect", f"oci-archive:{tmp_path / 'o.tar'}:fn"))
    assert as_oci["Digest"] == str(image.digest)  # the manifest is copied byte for byte
    assert "STAGE=export" in as_oci["Env"]


@needs_docker
@pytest.mark.parametrize("kind", ["skopeo", "docker-sdk"])
def test_export_to_the_docker_daemon(layout: tuple[Path, Image], kind: str) -> None:
    folder, image = layout
    name = f"lambdabox-test-export:{kind}-{uuid.uuid4().hex[:8]}"
    exporter: Exporter = SkopeoExporter() if kind == "skopeo" else DockerSDKExporter()
    exporter.export(folder, "fn", f"docker-daemon:{name}")
    try:
        inspected = subprocess.run(
            [DOCKER, "image", "inspect", name], capture_output=True, text=True, check=False
        )
        assert inspected.returncode == 0, inspected.stderr
        (details,) = json.loads(inspected.stdout)
        assert details["Config"]["Cmd"] == ["app.handler"]
        assert "STAGE=export" in details["Config"]["Env"]
        assert details["Id"] == str(image.config_digest)
    finally:
        subprocess.run([DOCKER, "image", "rm", "--force", str(image.config_digest)], check=False)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[str]:
    """A real `docker-registry` on 127.0.0.1:<free port>, storing into a temp folder."""
    if not Path(REGISTRY).exists():
        pytest.skip("docker-registry is not installed")
    port = free_port()
    config = tmp_path / "registry.yml"
    config.write_text(
        "version: 0.1\n"
        "log:\n  level: warn\n"
        f"storage:\n  filesystem:\n    rootdirectory: {tmp_path / 'registry-data'}\n"
        f"http:\n  addr: 127.0.0.1:{port}\n"
    )
    log = (tmp_path / "registry.log").open("wb")
    proc = subprocess.Popen([REGISTRY, "serve", str(config)], stdout=log, stderr=subprocess.STDOUT)
    address = f"127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if requests.get(f"http://{address}/v2/", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.05)
        else:
            pytest.fail(f"docker-registry did not start: {(tmp_path / 'registry.log').read_text()}")
        yield address
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


@needs_skopeo
def test_push_to_a_registry_and_pull_back_by_digest(
    tmp_path: Path, layout: tuple[Path, Image], registry: str
) -> None:
    folder, image = layout
    SkopeoExporter().export(folder, "fn", f"docker://{registry}/fn:v1")
    pulled = tmp_path / "pulled"
    skopeo(
        "copy",
        "--src-tls-verify=false",
        f"docker://{registry}/fn@{image.digest}",
        f"oci:{pulled}:fn",
    )
    validate_layout(pulled, "fn")
    assert read_layout(pulled, "fn").digest == image.digest
    inspected = json.loads(skopeo("inspect", "--tls-verify=false", f"docker://{registry}/fn:v1"))
    assert inspected["Digest"] == str(image.digest)
    assert inspected["Layers"] == [str(layer.digest) for layer in image.layers]
