"""arm64 base images, built on this (x86_64) machine through qemu-user-static and binfmt_misc.

Real builds (mmdebstrap, chroot, Docker), no mocks. They need root, mmdebstrap, the Debian
mirror, and on a non-arm64 machine Debian's qemu-user-static and arch-test (binfmt_misc is
mounted and the handler registered by `ensure_emulation` when missing). The builds go to
`$LAMBDABOX_CACHE` when it is set (warm: seconds), else to a session temp dir; cold on 2 cores:
`provided` about 20 s, then `python3.11` about 90 s more (the runtime run's dpkg and Python
run emulated; the OS run is shared with `provided`). The Docker tests need the daemon.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from builder import Cache, read_layout, validate_layout, write_docker_archive
from builder.base import build_base, build_image, ensure_base, mmdebstrap_args
from builder.base.arch import (
    BINFMT,
    BINFMT_D,
    arch_of_platform,
    ensure_emulation,
    host_arch,
    normalize_arch,
)
from builder.base.bytecode import _key as bytecode_key
from builder.base.definition import load_definition
from builder.base.rootfs_tar import rootfs_path
from builder.layers.entries import Entry
from builder.oci.errors import BuilderError
from builder.oci.image import Image
from builder.oci.layer import Layer
from builder.oci.manifest import ANNOTATION_BASE_NAME
from lambdabox.testing import RuntimeAPIServer

ARM = "arm64"
EM_AARCH64 = 0xB7
DOCKER = "/usr/bin/docker"
APP = """\
import platform


def handler(event, context):
    return {"machine": platform.machine(), "name": event["name"]}
"""

# --- names and keys (no build) -----------------------------------------------------------


def test_architecture_names() -> None:
    assert normalize_arch("aarch64") == "arm64"
    assert normalize_arch("ARM64") == "arm64"
    assert normalize_arch("x86_64") == "amd64"
    assert normalize_arch(None) == host_arch()
    with pytest.raises(BuilderError, match=r"Lambda runs amd64 \(x86_64\) or arm64"):
        normalize_arch("riscv64")


def test_unknown_architecture_is_refused_before_building(tmp_path: Path) -> None:
    with pytest.raises(BuilderError, match="s390x"):
        build_image("provided", cache=Cache(tmp_path), arch="s390x")


def test_wheel_platforms_name_the_base_architecture() -> None:
    assert arch_of_platform("manylinux2014_aarch64") == "arm64"
    assert arch_of_platform("manylinux_2_28_aarch64") == "arm64"
    assert arch_of_platform("manylinux2014_x86_64") == "amd64"
    assert arch_of_platform("any") is None


def test_every_cache_key_covers_the_architecture(tmp_path: Path) -> None:
    definition = load_definition("python3.11")
    cache = Cache(tmp_path)
    for with_runtime in (False, True):
        args = mmdebstrap_args(definition, tmp_path / "x.tar", with_runtime=with_runtime, arch=ARM)
        assert "--architectures=arm64" in args
        paths = {rootfs_path(definition, cache, 1, with_runtime, a) for a in ("amd64", ARM)}
        assert len(paths) == 2
    source = Entry.file("var/runtime/x.py", b"x = 1\n")
    keys = {bytecode_key([source], tmp_path / "r.tar", a) for a in ("amd64", ARM)}
    assert len(keys) == 2


# --- builds ------------------------------------------------------------------------------


def _cannot_build_arm64(cannot_build_bases: Callable[[], str]) -> str:
    """Why this machine cannot build arm64 images at all ("" if it can)."""
    reason = cannot_build_bases()  # root, mmdebstrap, the mirror
    if reason or host_arch() == ARM:
        return reason
    if "binfmt_misc" not in Path("/proc/filesystems").read_text():
        return "this kernel has no binfmt_misc: arm64 programs cannot run here"
    if not (BINFMT_D / "qemu-aarch64.conf").is_file() and not (BINFMT / "qemu-aarch64").exists():
        return "qemu-user-static is not installed (apt-get install qemu-user-static arch-test)"
    if shutil.which("arch-test") is None:
        return "arch-test is not installed (mmdebstrap needs it for foreign architectures)"
    return ""


@pytest.fixture(scope="session")
def arm_cache(
    tmp_path_factory: pytest.TempPathFactory,
    cannot_build_bases: Callable[[], str],
    cache_for_bases: Callable[[pytest.TempPathFactory, str], Cache],
) -> Cache:
    reason = _cannot_build_arm64(cannot_build_bases)
    if reason:
        pytest.skip(reason)
    ensure_emulation(ARM, print)  # registers qemu with binfmt_misc if needed; errors fail
    return cache_for_bases(tmp_path_factory, "arm64-cache")


@pytest.fixture(scope="session")
def arm_provided(arm_cache: Cache, tmp_path_factory: pytest.TempPathFactory) -> Image:
    out = tmp_path_factory.mktemp("arm64-provided") / "layout"
    started = time.monotonic()
    image = build_base("provided", output=out, cache=arm_cache, progress=print, arch=ARM)
    print(f"provided arm64 built in {time.monotonic() - started:.1f} s")
    validate_layout(out, "provided")
    index = json.loads((out / "index.json").read_text())
    platform = {"architecture": "arm64", "os": "linux", "variant": "v8"}
    assert index["manifests"][0]["platform"] == platform
    return image


def _layer_files(layer: Layer, wanted: tuple[str, ...] = ()) -> dict[str, Any]:
    """path -> link target (symlinks), first 64 bytes (files) or whole content (`wanted`)."""
    found: dict[str, Any] = {}
    with layer.open_uncompressed() as stream, tarfile.open(fileobj=stream, mode="r|") as tar:
        for member in tar:
            name = member.name.lstrip("./")
            if member.issym():
                found[name] = ("link", member.linkname)
            elif member.isfile():
                data = tar.extractfile(member)
                assert data is not None
                found[name] = data.read() if name in wanted else data.read(64)
    return found


def _resolve(files: dict[str, Any], path: str) -> str:
    """`path` with its symlinks (in any parent) followed inside the layer."""
    parts: list[str] = []
    todo = path.split("/")
    for _ in range(40):
        if not todo:
            return "/".join(parts)
        parts.append(todo.pop(0))
        entry = files.get("/".join(parts))
        if isinstance(entry, tuple):
            target = entry[1]
            parts.pop()
            base = [] if target.startswith("/") else parts
            todo = [*target.strip("/").split("/"), *todo]
            parts = list(base)
    raise AssertionError(f"symlink loop at {path}")


@pytest.mark.slow
def test_provided_arm64_config_says_arm64(arm_provided: Image) -> None:
    config = json.loads(arm_provided.config_bytes())
    assert (config["architecture"], config["os"], config["variant"]) == ("arm64", "linux", "v8")
    assert config["config"]["Entrypoint"] == ["/lambda-entrypoint.sh"]
    assert len(arm_provided.layers) == 2


@pytest.mark.slow
def test_provided_arm64_holds_arm64_packages(arm_provided: Image) -> None:
    files = _layer_files(arm_provided.layers[0], wanted=("var/lib/dpkg/status",))
    shell = _resolve(files, "bin/sh")
    assert shell == "usr/bin/dash"
    head = files[shell]
    assert head[:5] == b"\x7fELF\x02"  # 64-bit ELF
    assert int.from_bytes(head[18:20], "little") == EM_AARCH64
    assert "usr/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1" in files
    assert not [name for name in files if "x86_64-linux-gnu" in name]
    status = files["var/lib/dpkg/status"].decode()
    arches = {
        line.split(":", 1)[1].strip()
        for line in status.splitlines()
        if line.startswith("Architecture:")
    }
    assert arches <= {"arm64", "all"}
    assert "arm64" in arches


@pytest.mark.slow
def test_ensure_base_and_the_cli_take_the_arch(
    arm_provided: Image,
    arm_cache: Cache,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from lambdabox.cli import main as lambdabox_main

    layout = ensure_base("provided", arm_cache, arch="aarch64")
    assert read_layout(layout, "provided").digest == arm_provided.digest
    monkeypatch.setenv("LAMBDABOX_CACHE", str(arm_cache.root))
    capsys.readouterr()
    assert lambdabox_main(["base", "build", "provided", "--arch", "arm64", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["arch"] == "arm64"
    assert summary["digest"] == str(arm_provided.digest)
    assert summary["layout"] == str(layout)


@pytest.fixture(scope="session")
def arm_python(arm_cache: Cache) -> Path:
    started = time.monotonic()
    layout = ensure_base("python3.11", arm_cache, print, arch=ARM)
    print(f"python3.11 arm64 built in {time.monotonic() - started:.1f} s")
    return layout


def _docker(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [DOCKER, *args], capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture(scope="session")
def arm_python_tag(arm_python: Path, docker_client_or_skip: Callable[[], Any]) -> Iterator[str]:
    """The arm64 python3.11 base loaded into Docker under a test tag."""
    client = docker_client_or_skip()
    image = read_layout(arm_python, "python3.11")
    tag = f"lambdabox-arm64-test/python3.11:{os.getpid()}"
    try:
        with tempfile.TemporaryFile() as archive:
            write_docker_archive(image, archive, tags=[tag])
            archive.seek(0)
            client.images.load(archive)
        yield tag
    finally:
        _docker("image", "rm", "-f", tag)
        client.close()


@pytest.mark.slow
def test_python_arm64_runs_emulated_from_shipped_bytecode(arm_python_tag: str) -> None:
    """Under qemu the image's python3 is aarch64, and (read-only root) loads our modules' pycs."""
    probe = (
        "import importlib, importlib.util, pkgutil, platform, sys;"
        "sys.path[:0] = ['/var/runtime']; import runtime_interface as ri;"
        "names = [ri.__name__ + '.' + m.name for m in pkgutil.iter_modules(ri.__path__)];"
        "[importlib.import_module(n) for n in names if not n.endswith('__main__')];"
        "mods = [m for n, m in sys.modules.items() if n.startswith('runtime_interface.')];"
        "heads = {open(m.__cached__, 'rb').read(8) for m in mods};"
        "print(platform.machine(), len(mods),"
        " heads == {importlib.util.MAGIC_NUMBER + bytes([1, 0, 0, 0])})"
    )
    done = _docker(
        "run", "--rm", "--platform", "linux/arm64", "--read-only", "--network", "none",
        "--entrypoint", "/usr/bin/python3", arm_python_tag, "-I", "-S", "-c", probe,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    machine, count, valid = done.stdout.split()
    assert machine == "aarch64"
    assert int(count) > 10
    assert valid == "True"  # unchecked-hash pycs of this Python, compiled at build time


@pytest.mark.slow
def test_python_arm64_runs_a_handler_against_the_runtime_api(
    arm_python_tag: str, tmp_path: Path
) -> None:
    task = tmp_path / "task"
    task.mkdir()
    (task / "app.py").write_text(APP)
    task.chmod(0o755)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        name = f"lambdabox-arm64-test-{os.getpid()}-{sock.getsockname()[1]}"
    with RuntimeAPIServer() as api:
        started = _docker(
            "run", "-d", "--rm", "--platform", "linux/arm64", "--name", name,
            "--network", "host", "-v", f"{task}:/var/task:ro",
            "-e", f"AWS_LAMBDA_RUNTIME_API={api.address}", arm_python_tag, "app.handler",
        )  # fmt: skip
        assert started.returncode == 0, started.stderr
        try:
            outcome = api.enqueue({"name": "arm"}).wait(60)
        finally:
            logs = _docker("logs", name)
            _docker("rm", "-f", name)
        assert outcome.kind == "response", (outcome.body, logs.stdout, logs.stderr)
        assert api.violations == []
    assert json.loads(outcome.body) == {"machine": "aarch64", "name": "arm"}


@pytest.mark.slow
def test_build_for_aarch64_wheels_defaults_to_the_arm64_base(
    arm_python: Path, arm_cache: Cache, tmp_path: Path
) -> None:
    """`lambdabox build --platform manylinux2014_aarch64` without --base: the arm64 base."""
    from lambdabox.cli import main as lambdabox_main

    app = tmp_path / "fn"
    app.mkdir()
    (app / "app.py").write_text(APP)
    out = tmp_path / "out"
    argv = [
        "build", str(app), "--handler", "app.handler", "--platform", "manylinux2014_aarch64",
        "--cache", str(arm_cache.root), "--output", str(out),
    ]  # fmt: skip
    assert lambdabox_main(argv) == 0
    validate_layout(out)
    image = read_layout(out)
    base = read_layout(arm_python, "python3.11")
    assert (image.config.architecture, image.config.variant) == ("arm64", "v8")
    assert [layer.digest for layer in image.layers[: len(base.layers)]] == [
        layer.digest for layer in base.layers
    ]
    assert image.annotations[ANNOTATION_BASE_NAME] == "python3.11-arm64"
