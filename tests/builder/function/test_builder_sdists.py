"""--build-sdists: wheels of source-only requirements built inside the real base image.

The sdists are made here, with an in-tree PEP 517 backend and no build requirements, so the
container's pip needs no index: the find-links folder is mounted into the container.
"""

from __future__ import annotations

import contextlib
import io
import subprocess
import tarfile
import textwrap
import uuid
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from builder import BuilderError, Cache, Image, read_layout
from builder.function.build import build_function
from builder.function.containers import Mount
from builder.function.dependencies import DependencySpec, install_dependencies
from builder.function.sdists import container_pip_options

BACKEND = """
import base64, hashlib, os, subprocess, zipfile

NAME, VERSION = "{name}", "1.0"
COMPILE = {compile}


def _row(path, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{{path}},sha256={{digest}},{{len(data)}}"


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    if COMPILE:
        subprocess.run(["gcc", "--version"], check=True)
    dist = f"{{NAME}}-{{VERSION}}.dist-info"
    files = {{
        f"{{NAME}}/__init__.py": b"VALUE = 'built in the base image'\\n",
        f"{{dist}}/METADATA": f"Metadata-Version: 2.1\\nName: {{NAME}}\\n"
        f"Version: {{VERSION}}\\n".encode(),
        f"{{dist}}/WHEEL": b"Wheel-Version: 1.0\\nGenerator: tiny\\n"
        b"Root-Is-Purelib: true\\nTag: py3-none-any\\n",
    }}
    record = "\\n".join([*(_row(p, d) for p, d in files.items()), f"{{dist}}/RECORD,,"]) + "\\n"
    name = f"{{NAME}}-{{VERSION}}-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w") as whl:
        for path, data in files.items():
            whl.writestr(path, data)
        whl.writestr(f"{{dist}}/RECORD", record)
    return name
"""


def make_sdist(folder: Path, name: str, *, needs_compiler: bool = False) -> Path:
    """An sdist of `name` 1.0 with an in-tree backend (no build requirements) in `folder`."""
    folder.mkdir(exist_ok=True)
    root = f"{name}-1.0"
    files = {
        f"{root}/PKG-INFO": f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n",
        f"{root}/pyproject.toml": textwrap.dedent(
            """\
            [build-system]
            requires = []
            build-backend = "backend"
            backend-path = ["."]
            """
        ),
        f"{root}/backend.py": BACKEND.format(name=name, compile=needs_compiler),
    }
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w:gz") as tar:
        for path, text in files.items():
            content = text.encode()
            info = tarfile.TarInfo(path)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    (folder / f"{root}.tar.gz").write_bytes(data.getvalue())
    return folder


def test_container_pip_gets_the_index_options_mounts_and_ca(tmp_path: Path) -> None:
    links = tmp_path / "links"
    links.mkdir()
    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    args = ["--no-index", f"--find-links={links}", "-i", "https://pypi.example/simple"]
    args += ["--find-links", "https://example/wheels", "--no-cache-dir", "--prefer-binary"]
    environ = {"PIP_CERT": str(bundle), "HTTPS_PROXY": "http://127.0.0.1:3128", "HOME": "/root"}
    options, mounts, env = container_pip_options(args, environ)
    assert options == [
        "--no-index",
        "--find-links",
        "/run/lambdabox/find-links/0",
        "--index-url",
        "https://pypi.example/simple",
        "--find-links",
        "https://example/wheels",
    ]
    assert mounts == [
        Mount(links.resolve(), "/run/lambdabox/find-links/0"),
        Mount(bundle.resolve(), "/run/lambdabox/ca.pem"),
    ]
    assert env == {"HTTPS_PROXY": "http://127.0.0.1:3128", "PIP_CERT": "/run/lambdabox/ca.pem"}


def test_each_source_only_requirement_is_built_then_installed(tmp_path: Path) -> None:
    """The install loop: build the wheel pip missed, retry with it, once per requirement."""
    index = make_sdist(tmp_path / "index", "tinysrc")
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("tinysrc==1.0\n")
    built: list[str] = []

    def build(requirement: str) -> Path:  # builds on the host: a pure unit of the loop
        built.append(requirement)
        out = tmp_path / "wheels"
        done = subprocess.run(
            [
                *("python3", "-m", "pip", "wheel", "--no-deps", "--no-index", "-w", str(out)),
                *("--find-links", str(index), requirement),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return out

    spec = DependencySpec(requirements, pip_args=("--no-index", "--find-links", str(index)))
    target = tmp_path / "target"
    target.mkdir()
    install_dependencies(spec, target, build_sdist=build)
    assert built == ["tinysrc==1.0"]
    assert (target / "tinysrc" / "__init__.py").read_text().startswith("VALUE")

    def wrong(requirement: str) -> Path:  # a wheel that does not fit the target
        folder = tmp_path / "wrong"
        folder.mkdir(exist_ok=True)
        (folder / "tinysrc-1.0-cp311-cp311-linux_armv7l.whl").write_bytes(b"")
        return folder

    again = tmp_path / "again"
    again.mkdir()
    with pytest.raises(BuilderError, match=r"does not install for CPython 3\.11"):
        install_dependencies(spec, again, build_sdist=wrong)


@pytest.fixture(scope="module")
def python_base() -> Any:
    from builder.base import ensure_base

    return read_layout(ensure_base("python3.11", Cache.default(), print), "python3.11")


@pytest.mark.usefixtures("needs_docker")
def test_build_sdists_builds_in_the_base_image_and_the_function_runs(
    tmp_path: Path,
    python_base: Any,
    write_app: Callable[..., Path],
    pip_must_not_run: Callable[[Any], subprocess.CompletedProcess[str]],
    running_under_the_emulator: Callable[
        [Image, Path], contextlib.AbstractContextManager[tuple[Any, Any]]
    ],
) -> None:
    index = make_sdist(tmp_path / "index", "tinysrc")
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("tinysrc==1.0\n")
    src = write_app(tmp_path / "src", "import tinysrc; return {'value': tinysrc.VALUE}")
    cache = Cache(tmp_path / "cache")
    lines: list[str] = []
    kwargs: dict[str, Any] = {
        "base": python_base,
        "handler": "app.handler",
        "requirements": requirements,
        "cache": cache,
        "base_name": "python3.11",
        "pip_args": ["--no-index", "--find-links", str(index)],
        "labels": {"test.run": uuid.uuid4().hex},
    }
    image = build_function(src, build_sdists=True, say=lines.append, **kwargs)
    assert any("building a wheel of tinysrc==1.0 from its sdist" in line for line in lines)
    assert any("tinysrc-1.0-py3-none-any.whl" in line for line in lines)
    again = build_function(src, build_sdists=True, run=pip_must_not_run, **kwargs)
    assert again.digest == image.digest  # the dependency layer came from the cache

    with running_under_the_emulator(image, tmp_path / "out") as (emu, client):
        resp = emu.invoke({})
        assert resp.status_code == 200, emu.log()
        assert resp.json() == {"value": "built in the base image"}
        leftovers = client.containers.list(all=True, filters={"label": "lambdabox.role"})
        assert [c for c in leftovers if c.labels.get("lambdabox.role") == "sdist-build"] == []


@pytest.mark.usefixtures("needs_docker")
def test_an_sdist_that_needs_a_compiler_says_so(
    tmp_path: Path, python_base: Any, write_app: Callable[..., Path]
) -> None:
    index = make_sdist(tmp_path / "index", "needsgcc", needs_compiler=True)
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("needsgcc==1.0\n")
    with pytest.raises(BuilderError) as caught:
        build_function(
            write_app(tmp_path / "src"),
            base=python_base,
            handler="app.handler",
            requirements=requirements,
            cache=Cache(tmp_path / "cache"),
            pip_args=["--no-index", "--find-links", str(index)],
            build_sdists=True,
        )
    message = str(caught.value)
    assert "needsgcc==1.0" in message
    assert "C compiler" in message
    assert "--find-links" in message


@pytest.mark.usefixtures("needs_docker")
def test_package_build_sdists_through_the_cli(
    tmp_path: Path, python_base: Any, write_app: Callable[..., Path]
) -> None:
    from lambdabox.cli import main as lambdabox_main

    index = make_sdist(tmp_path / "index", f"tiny{uuid.uuid4().hex[:8]}")
    name = next(index.glob("*.tar.gz")).name.split("-")[0]
    src = write_app(tmp_path / "src")
    (tmp_path / "requirements.txt").write_text(f"{name}==1.0\n")
    out = tmp_path / "fn.zip"
    argv = ["package", str(src), "--requirements", str(tmp_path / "requirements.txt")]
    argv += ["--build-sdists", "--pip-arg=--no-index", f"--pip-arg=--find-links={index}"]
    assert lambdabox_main([*argv, "-o", str(out)]) == 0
    with zipfile.ZipFile(out) as archive:
        assert f"{name}/__init__.py" in archive.namelist()
        assert "app.py" in archive.namelist()
