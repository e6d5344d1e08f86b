"""Function images: layers from code, requirements and Lambda layers on a base; package; rebase."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import uuid
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from builder import BuilderError, Cache, Image, read_layout, validate_layout, write_layout
from builder.function.build import Step, build_function
from builder.function.dependencies import SdistOnlyError
from builder.function.lambda_zip import write_lambda_zip
from builder.function.rebase import ANNOTATION_BASE_LAYERS, rebase
from builder.layers.bytecode import bytecode_tag
from builder.oci.layer import Layer
from builder.oci.manifest import ANNOTATION_BASE_DIGEST, ANNOTATION_BASE_NAME
from builder.testing import random_image
from lambdabox.cli import main as lambdabox_main

SKOPEO = shutil.which("skopeo")
DOCKER = "/usr/bin/docker"
WHEELS = ("six==1.17.0", "charset-normalizer==3.4.1", "idna==3.10")


def read_member(layer: Layer, name: str) -> bytes:
    """The content of the file `name` in `layer`."""
    with layer.open_uncompressed() as raw, tarfile.open(fileobj=raw, mode="r|") as tar:
        for info in tar:
            if info.name == name:
                member = tar.extractfile(info)
                assert member is not None
                return member.read()
    raise AssertionError(f"{name} is not in the layer")


def layer_names(image: Image, index: int) -> list[str]:
    with (
        image.layers[index].open_uncompressed() as raw,
        tarfile.open(fileobj=raw, mode="r|") as tar,
    ):
        return tar.getnames()


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Wheels for the Lambda platform, downloaded once; builds then use --no-index."""
    folder = tmp_path_factory.mktemp("wheels")
    argv = [sys.executable, "-m", "pip", "download", "--dest", str(folder), "--quiet"]
    argv += ["--platform", "manylinux2014_x86_64", "--python-version", "3.11"]
    argv += ["--implementation", "cp", "--only-binary=:all:", "--disable-pip-version-check"]
    done = subprocess.run([*argv, *WHEELS], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.fail(f"cannot download wheels from PyPI: {done.stderr[-2000:]}")
    return folder


@pytest.fixture(scope="session")
def wheelhouse39(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """six for CPython 3.9 (a pure wheel: the same file serves every version)."""
    folder = tmp_path_factory.mktemp("wheels39")
    argv = [sys.executable, "-m", "pip", "download", "--dest", str(folder), "--quiet"]
    argv += ["--platform", "manylinux2014_x86_64", "--python-version", "3.9", "--no-deps"]
    argv += ["--implementation", "cp", "--only-binary=:all:", "--disable-pip-version-check"]
    done = subprocess.run([*argv, "six==1.17.0"], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.fail(f"cannot download wheels from PyPI: {done.stderr[-2000:]}")
    return folder


def offline(wheelhouse: Path) -> list[str]:
    return ["--no-index", "--find-links", str(wheelhouse)]


@pytest.fixture
def requirements(tmp_path: Path) -> Path:
    path = tmp_path / "requirements.txt"
    path.write_text("\n".join(WHEELS) + "\n")
    return path


def test_build_from_a_folder(tmp_path: Path, write_app: Callable[..., Path]) -> None:
    base = random_image(layers=2, seed=1)
    steps: list[Step] = []
    image = build_function(
        write_app(tmp_path / "src"),
        base=base,
        handler="app.handler",
        env={"STAGE": "test"},
        cache=Cache(tmp_path / "cache"),
        progress=steps.append,
        base_name="example/base:1",
    )
    write_layout(tmp_path / "out", image, tag="fn")
    validate_layout(tmp_path / "out", "fn")
    assert [s.name for s in steps] == ["code"]
    assert not steps[0].cached
    assert image.layers[:2] == base.layers
    assert len(image.layers) == 3
    names = layer_names(image, 2)
    assert "var/task/app.py" in names
    assert "var/task/lib/helper.py" in names
    assert "var/task/notes.log" not in names  # .lambdaboxignore
    assert image.config.cmd == ("app.handler",)
    assert image.config.env_value("STAGE") == "test"
    assert image.config.env_value("PATH") == "/usr/local/bin:/usr/bin:/bin"  # the base's
    assert image.config.labels["lambdabox.handler"] == "app.handler"
    assert len([h for h in image.config.history if not h.empty_layer]) == 3
    assert "function code" in image.config.history[-1].comment
    annotations = image.manifest.annotations
    assert annotations[ANNOTATION_BASE_NAME] == "example/base:1"
    assert annotations[ANNOTATION_BASE_DIGEST] == str(base.digest)
    assert annotations[ANNOTATION_BASE_LAYERS] == "2"


def test_a_zip_gives_the_same_code_layer_as_its_folder(
    tmp_path: Path, write_app: Callable[..., Path]
) -> None:
    src = write_app(tmp_path / "src")
    (src / "notes.log").unlink()
    (src / ".lambdaboxignore").unlink()
    package = tmp_path / "app.zip"
    with zipfile.ZipFile(package, "w") as archive:
        archive.write(src / "app.py", "app.py")
        archive.write(src / "lib" / "helper.py", "lib/helper.py")
    cache = Cache(tmp_path / "cache")
    base = random_image(layers=1)
    from_zip = build_function(package, base=base, handler="app.handler", cache=cache)
    from_dir = build_function(src, base=base, handler="app.handler", cache=cache)
    assert from_zip.layers[-1].diff_id == from_dir.layers[-1].diff_id
    assert from_zip.layers[-1].digest == from_dir.layers[-1].digest  # history names the source


def test_a_malicious_zip_is_rejected(tmp_path: Path) -> None:
    package = tmp_path / "evil.zip"
    with zipfile.ZipFile(package, "w") as archive:
        for name in ("app.py", "../../etc/cron.d/evil"):
            info = zipfile.ZipInfo(name)
            info.external_attr = 0o100644 << 16  # writestr(str) gives 0o600 with no file type
            archive.writestr(info, "* * * * * root sh\n")
    with pytest.raises(BuilderError, match=r"evil\.zip:\.\./\.\./etc/cron\.d/evil.*'\.\.'"):
        build_function(
            package, base=random_image(1), handler="app.handler", cache=Cache(tmp_path / "c")
        )


def test_lambda_layers_go_under_opt(tmp_path: Path, write_app: Callable[..., Path]) -> None:
    folder = tmp_path / "layer1"
    (folder / "python").mkdir(parents=True)
    (folder / "python" / "shared.py").write_text("X = 1\n")
    zipped = tmp_path / "layer2.zip"
    with zipfile.ZipFile(zipped, "w") as archive:
        info = zipfile.ZipInfo("extensions/probe")
        info.external_attr = 0o100755 << 16
        archive.writestr(info, "#!/bin/sh\n")
    steps: list[Step] = []
    image = build_function(
        write_app(tmp_path / "src"),
        base=random_image(1),
        handler="app.handler",
        layers=[folder, zipped],
        cache=Cache(tmp_path / "cache"),
        progress=steps.append,
    )
    assert [s.name for s in steps] == ["layer layer1", "layer layer2.zip", "code"]
    assert "opt/python/shared.py" in layer_names(image, 1)
    assert "opt/extensions/probe" in layer_names(image, 2)
    write_layout(tmp_path / "out", image)
    validate_layout(tmp_path / "out")


def test_requirements_make_a_deterministic_dependency_layer(
    tmp_path: Path, wheelhouse: Path, requirements: Path, write_app: Callable[..., Path]
) -> None:
    digests = []
    for run in ("a", "b"):  # two clean builds: separate caches, separate pip runs
        image = build_function(
            write_app(tmp_path / run / "src", "import six; return six.__version__"),
            base=random_image(1),
            handler="app.handler",
            requirements=requirements,
            cache=Cache(tmp_path / f"cache-{run}"),
            pip_args=offline(wheelhouse),
        )
        write_layout(tmp_path / f"out-{run}", image)
        validate_layout(tmp_path / f"out-{run}")
        digests.append(image.digest)
    assert digests[0] == digests[1]
    names = layer_names(image, 1)
    assert "var/task/six.py" in names
    assert any(n.startswith("var/task/charset_normalizer/md.cpython-311-x86_64") for n in names)
    assert "var/task/idna/core.py" in names
    pycs = [n for n in names if n.endswith(".pyc")]
    if bytecode_tag("3.11"):  # this Python compiles for 3.11: checked-hash pycs, reproducibly
        assert "var/task/__pycache__/six.cpython-311.pyc" in pycs
        assert all(n.endswith(".cpython-311.pyc") and "/__pycache__/" in n for n in pycs)
        six_pyc = read_member(image.layers[1], "var/task/__pycache__/six.cpython-311.pyc")
        assert six_pyc[:4] == importlib.util.MAGIC_NUMBER
        assert six_pyc[4:8] == bytes([3, 0, 0, 0])  # hash-based, checked against the source
        assert b"/var/task/six.py" in six_pyc  # tracebacks name the path in the image
    else:
        assert pycs == []
    assert not [n for n in names if n.endswith("direct_url.json") or n.startswith("var/task/bin")]
    record = read_member(
        image.layers[1], "var/task/charset_normalizer-3.4.1.dist-info/RECORD"
    ).decode()
    assert "charset_normalizer/md.py" in record
    assert "bin/normalizer" not in record
    assert "direct_url.json" not in record


@pytest.mark.parametrize(("python_version", "bytecode"), [("3.9", True), ("3.11", False)])
def test_no_bytecode_for_another_python_or_when_turned_off(
    tmp_path: Path,
    wheelhouse39: Path,
    wheelhouse: Path,
    python_version: str,
    bytecode: bool,
    write_app: Callable[..., Path],
) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("six==1.17.0\n")
    image = build_function(
        write_app(tmp_path / "src"),
        base=random_image(1),
        handler="app.handler",
        requirements=requirements,
        python_version=python_version,
        bytecode=bytecode,
        cache=Cache(tmp_path / "cache"),
        pip_args=offline(wheelhouse39 if python_version == "3.9" else wheelhouse),
    )
    names = layer_names(image, 1)
    assert "var/task/six.py" in names
    assert [n for n in names if n.endswith(".pyc") or "__pycache__" in n] == []


def test_a_code_only_change_rebuilds_only_the_code_layer(
    tmp_path: Path,
    wheelhouse: Path,
    requirements: Path,
    write_app: Callable[..., Path],
    pip_must_not_run: Callable[[Any], subprocess.CompletedProcess[str]],
) -> None:
    cache = Cache(tmp_path / "cache")
    src = write_app(tmp_path / "src")
    layer = tmp_path / "layer"
    (layer / "python").mkdir(parents=True)
    (layer / "python" / "shared.py").write_text("X = 1\n")
    base = random_image(2)

    def build(run: Any) -> tuple[Image, list[Step]]:
        steps: list[Step] = []
        image = build_function(
            src,
            base=base,
            handler="app.handler",
            requirements=requirements,
            layers=[layer],
            cache=cache,
            progress=steps.append,
            pip_args=offline(wheelhouse),
            run=run,
        )
        return image, steps

    first, first_steps = build(_real_pip)
    (src / "app.py").write_text("def handler(event, context):\n    return 2\n")
    second, second_steps = build(pip_must_not_run)
    assert [s.cached for s in first_steps] == [False, False, False]
    assert [(s.name, s.cached) for s in second_steps] == [
        ("dependencies", True),
        ("layer layer", True),
        ("code", False),
    ]
    assert [layer.digest for layer in first.layers[:-1]] == [
        layer.digest for layer in second.layers[:-1]
    ]
    assert first.layers[-1].digest != second.layers[-1].digest
    assert first.digest != second.digest


def _real_pip(argv: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), capture_output=True, text=True, check=False)


def make_sdist_only_index(folder: Path) -> Path:
    """A find-links folder holding only an sdist of `tinysrc` (made by hand, no network)."""
    folder.mkdir()
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w:gz") as tar:
        files = {
            "tinysrc-1.0/PKG-INFO": b"Metadata-Version: 2.1\nName: tinysrc\nVersion: 1.0\n",
            "tinysrc-1.0/setup.py": b"from setuptools import setup\nsetup(name='tinysrc')\n",
        }
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    (folder / "tinysrc-1.0.tar.gz").write_bytes(data.getvalue())
    return folder


def test_an_sdist_only_requirement_names_the_package_and_the_opt_in(
    tmp_path: Path, write_app: Callable[..., Path]
) -> None:
    index = make_sdist_only_index(tmp_path / "index")
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("tinysrc==1.0\n")
    with pytest.raises(SdistOnlyError) as caught:
        build_function(
            write_app(tmp_path / "src"),
            base=random_image(1),
            handler="app.handler",
            requirements=requirements,
            cache=Cache(tmp_path / "cache"),
            pip_args=["--no-index", "--find-links", str(index)],
        )
    assert caught.value.package == "tinysrc"
    assert "'tinysrc'" in str(caught.value)
    assert "--build-sdists" in str(caught.value)


def test_rebase_swaps_the_base_layers_only(tmp_path: Path, write_app: Callable[..., Path]) -> None:
    cache = Cache(tmp_path / "cache")
    old_base, new_base = random_image(2, seed=1), random_image(3, seed=2)
    image = build_function(
        write_app(tmp_path / "src"),
        base=old_base,
        handler="app.handler",
        env={"STAGE": "x"},
        cache=cache,
        base_name="old",
    )
    rebased = rebase(image, new_base, base_name="new")
    assert rebased.layers == new_base.layers + image.layers[2:]
    assert rebased.config.diff_ids == new_base.config.diff_ids + image.config.diff_ids[2:]
    assert rebased.config.cmd == ("app.handler",)
    assert rebased.config.env_value("STAGE") == "x"
    assert rebased.manifest.annotations[ANNOTATION_BASE_LAYERS] == "3"
    assert rebased.manifest.annotations[ANNOTATION_BASE_DIGEST] == str(new_base.digest)
    write_layout(tmp_path / "out", rebased)
    validate_layout(tmp_path / "out")
    with pytest.raises(BuilderError, match=r"lambdabox\.base\.layers"):
        rebase(new_base, old_base)


def test_package_writes_a_deterministic_zip(
    tmp_path: Path, wheelhouse: Path, requirements: Path, write_app: Callable[..., Path]
) -> None:
    src = write_app(tmp_path / "src")
    outputs = []
    for run in ("a", "b"):
        out = tmp_path / f"{run}.zip"
        write_lambda_zip(src, out, requirements=requirements, pip_args=offline(wheelhouse))
        outputs.append(out.read_bytes())
        os.utime(src / "app.py", (1_000_000_000, 1_000_000_000))  # mtimes do not matter
    assert outputs[0] == outputs[1]
    with zipfile.ZipFile(tmp_path / "a.zip") as archive:
        infos = archive.infolist()
    names = [info.filename for info in infos]
    assert names == sorted(names, key=lambda n: n.rstrip("/").split("/"))
    assert "app.py" in names
    assert "six.py" in names
    assert "notes.log" not in names
    assert {info.date_time for info in infos} == {(1980, 1, 1, 0, 0, 0)}
    modes = {info.filename: info.external_attr >> 16 for info in infos}
    assert modes["app.py"] == 0o100644
    assert modes["lib/"] == 0o040755


# -- the CLI ----------------------------------------------------------------------------


def test_cli_build_package_and_rebase(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    write_app: Callable[..., Path],
) -> None:
    monkeypatch.chdir(tmp_path)
    write_app(tmp_path / "myfn")
    write_layout(tmp_path / "base", random_image(1, seed=5), tag="base")
    write_layout(tmp_path / "base2", random_image(2, seed=6), tag="base")
    argv = ["build", "myfn", "--handler", "app.handler", "--base", "base"]
    argv += ["--env", "A=1", "--cache", "cache", "--json"]
    assert lambdabox_main(argv) == 0
    captured = capsys.readouterr()
    summary = json.loads(captured.out)
    assert "lambdabox build: code:" in captured.err
    assert summary["output"] == ".lambdabox/out/myfn"
    assert summary["tag"] == "myfn:latest"
    assert [layer["name"] for layer in summary["layers"]] == ["code"]
    validate_layout(tmp_path / ".lambdabox" / "out" / "myfn", "latest")
    image = read_layout(tmp_path / ".lambdabox" / "out" / "myfn")
    assert str(image.digest) == summary["digest"]
    assert lambdabox_main(argv) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["digest"] == summary["digest"]
    assert again["layers"][0]["cached"] is True

    layout = ".lambdabox/out/myfn"
    assert lambdabox_main(["rebase", layout, "--base", "base2", "--json"]) == 0
    rebased = json.loads(capsys.readouterr().out)
    assert rebased["previous"] == summary["digest"]
    assert len(read_layout(tmp_path / layout).layers) == 3

    assert lambdabox_main(["package", "myfn", "-o", "app.zip"]) == 0
    assert zipfile.is_zipfile(tmp_path / "app.zip")

    assert lambdabox_main(["build", "missing", "--handler", "a.b", "--base", "base"]) == 1
    assert "missing does not exist" in capsys.readouterr().err
    assert lambdabox_main(["build", "myfn"]) == 2  # no --handler (nor --dockerfile)


def test_outputs_inside_the_code_folder_are_never_read_back(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    write_app: Callable[..., Path],
) -> None:
    monkeypatch.chdir(tmp_path)
    write_app(tmp_path / "myfn")
    write_layout(tmp_path / "base", random_image(1, seed=5), tag="base")
    argv = ["build", "myfn", "--handler", "app.handler", "--base", "base", "--cache", "cache"]
    argv += ["--output", "myfn/out", "--json"]
    digests = []
    for _ in range(2):  # the second build sees the first one's layout in myfn/out
        assert lambdabox_main(argv) == 0
        summary = json.loads(capsys.readouterr().out)
        digests.append(summary["digest"])
    assert digests[0] == digests[1]
    assert summary["layers"][0]["cached"] is True
    assert not [n for n in layer_names(read_layout(tmp_path / "myfn" / "out"), 0) if "out" in n]

    for _ in range(2):  # the same for a package written into the folder it zips
        assert lambdabox_main(["package", "myfn", "-o", "myfn/app.zip"]) == 0
    with zipfile.ZipFile(tmp_path / "myfn" / "app.zip") as archive:
        assert "app.py" in archive.namelist()
        assert "app.zip" not in archive.namelist()

    for bad in ("myfn", "."):  # the layout would be the code, or hold it
        assert lambdabox_main([*argv[:-3], "--output", bad]) == 1
        assert "is the code folder or holds it" in capsys.readouterr().err


# -- run the built image ------------------------------------------------------------------


@pytest.fixture(scope="session")
def debian_base_layout(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """The Debian test image (python3 + our runtime) exported from Docker as an OCI layout."""
    from lambdabox.testing.images import python_test_image

    def progress(line: str) -> None:
        sys.stderr.write(line + "\n")

    tag = python_test_image(progress=progress)
    layout = tmp_path_factory.mktemp("test-image") / "oci"
    assert SKOPEO is not None
    argv = [SKOPEO, "copy", "--quiet", f"docker-daemon:{tag}", f"oci:{layout}:base"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    return tag, layout


@pytest.mark.usefixtures("needs_docker")
def test_the_built_image_runs_under_the_emulator(
    tmp_path: Path,
    debian_base_layout: tuple[str, Path],
    wheelhouse: Path,
    requirements: Path,
    running_under_the_emulator: Callable[
        [Image, Path], contextlib.AbstractContextManager[tuple[Any, Any]]
    ],
) -> None:
    base_tag, base_layout = debian_base_layout
    src = tmp_path / "src"
    src.mkdir()
    (src / "app.py").write_text(
        "import _imp, importlib.util, charset_normalizer, six\n"
        "def valid_pyc(module):\n"  # what the import system checks for a checked-hash pyc
        "    pyc = open(module.__cached__, 'rb').read()\n"
        "    source = open(module.__file__, 'rb').read()\n"
        "    key = importlib.util._RAW_MAGIC_NUMBER\n"
        "    return pyc[:4] == importlib.util.MAGIC_NUMBER and pyc[8:16] == "
        "_imp.source_hash(key, source)\n"
        "def handler(event, context):\n"
        "    found = charset_normalizer.from_bytes('héllo wörld'.encode('latin-1')).best()\n"
        "    return {'six': six.__version__, 'encoding': found.encoding, 'event': event,\n"
        "            'bytecode': valid_pyc(six) and valid_pyc(charset_normalizer)}\n"
    )
    image = build_function(
        src,
        base=read_layout(base_layout),
        handler="app.handler",
        requirements=requirements,
        env={"STAGE": "emulated"},
        labels={"test.run": uuid.uuid4().hex},  # a unique image ID: cleanup removes only ours
        cache=Cache(tmp_path / "cache"),
        base_name=base_tag,
        pip_args=offline(wheelhouse),
    )
    with running_under_the_emulator(image, tmp_path / "out") as (emu, _client):
        resp = emu.invoke({"hello": "world"})
        assert resp.status_code == 200, emu.log()
        body = resp.json()
        assert body["six"] == "1.17.0"
        assert body["event"] == {"hello": "world"}
        assert body["encoding"]
        assert body["bytecode"] is bool(bytecode_tag("3.11"))  # the image's Python takes them


def test_dependencies_for_arm64(tmp_path: Path, write_app: Callable[..., Path]) -> None:
    """--platform picks the wheels of another architecture (pip runs on this host)."""
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("charset-normalizer==3.4.1\n")
    image = build_function(
        write_app(tmp_path / "src"),
        base=random_image(1),
        handler="app.handler",
        requirements=requirements,
        platform="manylinux2014_aarch64",
        cache=Cache(tmp_path / "cache"),
    )
    names = layer_names(image, 1)
    assert any(n.startswith("var/task/charset_normalizer/md.cpython-311-aarch64") for n in names)
    assert not any("x86_64" in n for n in names)
