"""Base images: definitions, builds (mmdebstrap), sizes, Docker behaviour, reproducibility.

The builds run once per session into `$LAMBDABOX_CACHE` when it is set (warm runs take
seconds), else into a session temp dir (cold: about a minute). They need root, mmdebstrap
and deb.debian.org; the Docker tests need the daemon (and PyPI for the pip test).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from builder import Cache, validate_layout, write_docker_archive
from builder.base import (
    AWS_ENV,
    ENTRYPOINT_MESSAGE,
    PROVIDED_NO_API_MESSAGE,
    build_base,
    ensure_base,
    image_summary,
)
from builder.base.definition import (
    BASE_IMAGES_DIR,
    base_names,
    load_definition,
    parse_toml,
    parse_toml_subset,
)
from builder.base.rootfs import RootfsEntry, diff_trees
from builder.oci.errors import BuilderError
from builder.oci.image import Image
from lambdabox.testing import RuntimeAPIServer

MB = 1_000_000
SIZE_GOALS = {"python3.11": 30 * MB, "provided": 10 * MB}
DOCKER = "/usr/bin/docker"

APP = """\
def handler(event, context):
    return {"hello": event.get("name"), "function": context.function_name}
"""
SIX_APP = """\
import six


def handler(event, context):
    return {"six": six.__version__, "ok": six.PY3}
"""

# --- definitions (no build needed) -------------------------------------------------------


def test_all_definitions_load() -> None:
    assert base_names() == ["provided", "python3.11", "python3.13", "python3.9"]
    suites = {name: load_definition(name).suite for name in base_names()}
    assert suites == {
        "provided": "bookworm",
        "python3.11": "bookworm",
        "python3.13": "trixie",
        "python3.9": "bullseye",
    }
    assert load_definition("provided").python is None
    assert load_definition("python3.13").python == "3.13"


def test_subset_toml_reader_matches_tomllib() -> None:
    for name in base_names():
        text = (BASE_IMAGES_DIR / name / "base.toml").read_text()
        assert parse_toml_subset(text) == parse_toml(text)


def test_unknown_base_names_the_known_ones() -> None:
    with pytest.raises(BuilderError, match=r"known: provided, python3\.11"):
        load_definition("python2.7")


def _e(path: str, sha: str = "a", mode: int = 0o644) -> RootfsEntry:
    return RootfsEntry(path, "file", mode, 0, 0, sha256=sha, inode=path)


def test_diff_keeps_new_and_changed_paths_with_parents() -> None:
    lower = {"usr": RootfsEntry("usr", "dir", 0o755, 0, 0), "usr/a": _e("usr/a")}
    upper = {**lower, "usr/b/c": _e("usr/b/c"), "usr/a": _e("usr/a", "b")}
    upper["usr/b"] = RootfsEntry("usr/b", "dir", 0o755, 0, 0)
    assert diff_trees(lower, upper) == ["usr", "usr/a", "usr/b", "usr/b/c"]
    assert diff_trees(lower, {**lower, "usr/a": _e("usr/a", mode=0o755)}) == ["usr", "usr/a"]


def test_diff_refuses_removed_paths() -> None:
    with pytest.raises(BuilderError, match=r"removed paths of the OS layer: /etc/x"):
        diff_trees({"etc/x": _e("etc/x")}, {})


# --- builds ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def base_cache(
    tmp_path_factory: pytest.TempPathFactory,
    cannot_build_bases: Callable[[], str],
    cache_for_bases: Callable[[pytest.TempPathFactory, str], Cache],
) -> Cache:
    reason = cannot_build_bases()
    if reason:
        pytest.skip(reason)
    return cache_for_bases(tmp_path_factory, "base-cache")


@pytest.fixture(scope="session")
def built(base_cache: Cache, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Image]:
    out = tmp_path_factory.mktemp("base-layouts")
    images = {}
    for name in ("provided", "python3.11"):
        images[name] = build_base(name, output=out / name, cache=base_cache, progress=print)
        validate_layout(out / name, name)
    return images


@pytest.mark.slow
def test_sizes_meet_the_goals(built: dict[str, Image]) -> None:
    for name, image in built.items():
        summary = image_summary(image)
        compressed = summary["compressed_size"]
        print(name, compressed, summary["uncompressed_size"])
        assert isinstance(compressed, int)
        assert compressed <= SIZE_GOALS[name], f"{name}: {compressed / MB:.2f} MB compressed"


@pytest.mark.slow
def test_config_layers_and_history(built: dict[str, Image]) -> None:
    python, provided = built["python3.11"], built["provided"]
    assert len(python.layers) == 3
    assert len(provided.layers) == 2
    assert python.layers[0].digest == provided.layers[0].digest  # one shared bookworm OS layer
    for image in built.values():
        config = image.config
        assert [h.created_by.startswith("lambdabox base:") for h in config.history] == [True] * len(
            image.layers
        )
        assert config.entrypoint == ("/lambda-entrypoint.sh",)
        assert config.cmd is None
        assert config.user == ""
        assert config.workdir == "/var/task"
        for key, value in AWS_ENV:
            assert config.env_value(key) == value
        assert config.labels["org.opencontainers.image.base.name"] == "debian:bookworm"
        assert "org.opencontainers.image.version" in config.labels
        assert image.annotations["org.opencontainers.image.title"].startswith("lambdabox base")
    assert python.config.env_value("PIP_BREAK_SYSTEM_PACKAGES") == "1"


@pytest.mark.slow
def test_provided_is_reproducible(built: dict[str, Image], tmp_path: Path) -> None:
    """A second build from a cold cache (mmdebstrap again) gives the same digest."""
    again = build_base("provided", output=tmp_path / "layout", cache=Cache(tmp_path / "cache"))
    assert again.digest == built["provided"].digest
    assert [layer.diff_id for layer in again.layers] == [
        layer.diff_id for layer in built["provided"].layers
    ]


@pytest.mark.slow
def test_build_uses_the_default_base_by_name(
    built: dict[str, Image], base_cache: Cache, tmp_path: Path
) -> None:
    """`lambdabox build` with no --base builds FROM our python3.11 base (cached here)."""
    from builder import read_layout, validate_layout
    from lambdabox.cli import main as lambdabox_main

    app = tmp_path / "fn"
    app.mkdir()
    (app / "app.py").write_text("def handler(event, context):\n    return 1\n")
    out = tmp_path / "out"
    argv = [
        "build",
        str(app),
        "--handler",
        "app.handler",
        "--cache",
        str(base_cache.root),
        "--output",
        str(out),
    ]
    assert lambdabox_main(argv) == 0
    validate_layout(out)
    image = read_layout(out)
    base = built["python3.11"]
    assert [layer.digest for layer in image.layers[: len(base.layers)]] == [
        layer.digest for layer in base.layers
    ]
    assert image.config.cmd == ("app.handler",)


def test_ensure_base_returns_a_cached_layout(built: dict[str, Image], base_cache: Cache) -> None:
    first = ensure_base("provided", base_cache)
    started = time.monotonic()
    assert ensure_base("provided", base_cache) == first
    assert time.monotonic() - started < 2
    validate_layout(first, "provided")
    index = json.loads((first / "index.json").read_text())
    assert index["manifests"][0]["digest"] == str(built["provided"].digest)


# --- Docker ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def loaded(
    built: dict[str, Image], docker_client_or_skip: Callable[[], Any]
) -> Iterator[dict[str, str]]:
    """name -> a tag in the local Docker daemon (BuildKit's FROM needs a tag, not an ID)."""
    client = docker_client_or_skip()
    ids, tags = {}, {}
    try:
        for name, image in built.items():
            tag = f"lambdabox-base-test/{name}:{os.getpid()}"
            with tempfile.TemporaryFile() as archive:
                write_docker_archive(image, archive, tags=[tag])
                archive.seek(0)
                client.images.load(archive)
            ids[name] = str(image.config_digest)
            tags[name] = tag
        yield tags
    finally:
        for image_id in ids.values():
            subprocess.run(
                [DOCKER, "image", "rm", "-f", image_id], capture_output=True, check=False
            )
        client.close()


@pytest.fixture
def task(tmp_path: Path) -> Path:
    folder = tmp_path / "task"
    folder.mkdir()
    (folder / "app.py").write_text(APP)
    folder.chmod(0o755)
    return folder


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _docker(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [DOCKER, *args], capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.mark.slow
def test_docker_sees_the_aws_config(loaded: dict[str, str], built: dict[str, Image]) -> None:
    for name, tag in loaded.items():
        done = _docker("image", "inspect", tag)
        assert json.loads(done.stdout)[0]["Id"] == str(built[name].config_digest)
        config = json.loads(done.stdout)[0]["Config"]
        assert config["Entrypoint"] == ["/lambda-entrypoint.sh"]
        assert config["WorkingDir"] == "/var/task"
        assert not config.get("User")
        for key, value in AWS_ENV:
            assert f"{key}={value}" in config["Env"]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["python3.11", "provided"])
def test_entrypoint_needs_exactly_one_argument(loaded: dict[str, str], name: str) -> None:
    for extra in ([], ["a.handler", "b"]):
        done = _docker("run", "--rm", "--network", "none", loaded[name], *extra)
        assert done.returncode == 142
        assert done.stderr.strip() == ENTRYPOINT_MESSAGE


@pytest.mark.slow
def test_provided_without_runtime_api_says_use_lambdabox_run(loaded: dict[str, str]) -> None:
    done = _docker("run", "--rm", "--network", "none", loaded["provided"], "x.handler")
    assert done.returncode == 1
    assert done.stderr.strip() == PROVIDED_NO_API_MESSAGE


def _run_against_api(image: str, task: Path, handler: str = "app.handler") -> dict[str, Any]:
    with RuntimeAPIServer() as api:
        name = f"lambdabox-base-test-{os.getpid()}-{_free_port()}"
        started = _docker(
            "run", "-d", "--rm", "--name", name, "--network", "host",
            "-v", f"{task}:/var/task:ro",
            "-e", f"AWS_LAMBDA_RUNTIME_API={api.address}",
            "-e", "AWS_LAMBDA_FUNCTION_NAME=base-test",
            image, handler,
        )  # fmt: skip
        assert started.returncode == 0, started.stderr
        try:
            outcome = api.enqueue({"name": "base"}).wait(60)
        finally:
            logs = _docker("logs", name).stdout
            _docker("rm", "-f", name)
        assert outcome.kind == "response", (outcome.body, logs)
        assert api.violations == []
        result: dict[str, Any] = json.loads(outcome.body)
        return result


@pytest.mark.slow
def test_python_image_runs_a_handler_against_the_runtime_api(
    loaded: dict[str, str], task: Path
) -> None:
    result = _run_against_api(loaded["python3.11"], task)
    assert result == {"hello": "base", "function": "base-test"}


@pytest.mark.slow
def test_bundled_emulator_serves_the_invoke_api(loaded: dict[str, str], task: Path) -> None:
    invoke_port, api_port = _free_port(), _free_port()
    name = f"lambdabox-base-rie-{os.getpid()}-{invoke_port}"
    started = _docker(
        "run", "-d", "--rm", "--name", name, "--network", "host",
        "-v", f"{task}:/var/task:ro",
        "-e", f"AWS_LAMBDA_RIE_ADDRESS=127.0.0.1:{invoke_port}",
        "-e", f"AWS_LAMBDA_RIE_RUNTIME_API_ADDRESS=127.0.0.1:{api_port}",
        "-e", "AWS_LAMBDA_FUNCTION_NAME=rie-test",
        loaded["python3.11"], "app.handler",
    )  # fmt: skip
    assert started.returncode == 0, started.stderr
    url = f"http://127.0.0.1:{invoke_port}/2015-03-31/functions/function/invocations"
    body: bytes | None = None
    try:
        deadline = time.monotonic() + 30
        while body is None and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(url, data=b'{"name": "rie"}', timeout=10) as answer:
                    body = answer.read()
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.2)
    finally:
        logs = _docker("logs", name)
        _docker("rm", "-f", name)
    assert body is not None, logs.stdout + logs.stderr
    assert json.loads(body) == {"hello": "rie", "function": "rie-test"}


@pytest.mark.slow
def test_bundled_emulator_imports_only_the_standard_library(loaded: dict[str, str]) -> None:
    probe = (
        "import sys; sys.path[:0] = ['/var/runtime/emulator', '/var/runtime'];"
        "from lambdabox.emulator import cli, loops, quick, server;"
        "ours = {'lambdabox', 'runtime_interface', '__main__'};"
        "print(sorted({m.split('.')[0] for m in sys.modules} - set(sys.stdlib_module_names)"
        " - ours - set(sys.builtin_module_names)))"
    )
    done = _docker(
        "run", "--rm", "--network", "none", "--entrypoint", "/usr/bin/python3",
        loaded["python3.11"], "-I", "-S", "-c", probe,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


@pytest.mark.slow
def test_runtime_modules_load_from_shipped_unchecked_bytecode(loaded: dict[str, str]) -> None:
    """The root filesystem is read-only at run time: no module of ours may need compiling."""
    probe = (
        "import importlib.util, pkgutil, sys; sys.path[:0] = ['/var/runtime/emulator',"
        " '/var/runtime'];"
        "import runtime_interface, lambdabox.emulator as emu;"
        "names = ['runtime_interface.' + m.name for m in pkgutil.iter_modules("
        "runtime_interface.__path__)] + ['lambdabox.emulator.' + m.name for m in"
        " pkgutil.iter_modules(emu.__path__)];"
        "[importlib.import_module(n) for n in names if not n.endswith('__main__')];"
        "mods = [sys.modules[n] for n in names if n in sys.modules];"
        "heads = {open(m.__cached__, 'rb').read(8) for m in mods};"
        "print(len(mods), heads == {importlib.util.MAGIC_NUMBER + bytes([1, 0, 0, 0])})"
    )
    done = _docker(
        "run", "--rm", "--read-only", "--network", "none", "--entrypoint", "/usr/bin/python3",
        loaded["python3.11"], "-I", "-S", "-c", probe,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    count, valid = done.stdout.split()
    assert int(count) > 20
    assert valid == "True"  # this Python's magic number; flags 0b01: hash-based, unchecked


def _pypi_reachable() -> bool:
    try:
        urllib.request.urlopen("https://pypi.org/simple/six/", timeout=10)
    except OSError:
        return False
    return True


@pytest.mark.slow
def test_from_base_pip_install_target_works(
    loaded: dict[str, str], tmp_path: Path, task: Path
) -> None:
    if not _pypi_reachable():
        pytest.skip("PyPI is not reachable")
    context = tmp_path / "context"
    context.mkdir()
    (context / "app.py").write_text(SIX_APP)
    # Behind a TLS-inspecting proxy the host trusts an extra CA: hand the host's bundle to pip.
    bundle = os.environ.get("PIP_CERT") or os.environ.get("SSL_CERT_FILE")
    cert = ""
    if bundle and Path(bundle).is_file():
        shutil.copyfile(bundle, context / "host-ca.crt")
        cert = "--cert /var/task/host-ca.crt "
    (context / "Dockerfile").write_text(
        f"FROM {loaded['python3.11']}\n"
        + ("COPY host-ca.crt /var/task/\n" if cert else "")
        + f"RUN pip install --no-cache-dir {cert}six --target /var/task"
        + (" && rm /var/task/host-ca.crt\n" if cert else "\n")
        + "COPY app.py /var/task/\n"
        'CMD ["app.handler"]\n'
    )
    iid = tmp_path / "iid"
    done = subprocess.run(
        [DOCKER, "build", "--network", "host", "--iidfile", str(iid), str(context)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "DOCKER_BUILDKIT": "1"},
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    image_id = iid.read_text().strip()
    try:
        # No mount this time: the function and six come from the image's /var/task.
        with RuntimeAPIServer() as api:
            name = f"lambdabox-base-six-{os.getpid()}"
            started = _docker(
                "run", "-d", "--rm", "--name", name, "--network", "host",
                "-e", f"AWS_LAMBDA_RUNTIME_API={api.address}", image_id,
            )  # fmt: skip
            assert started.returncode == 0, started.stderr
            try:
                outcome = api.enqueue({}).wait(60)
            finally:
                logs = _docker("logs", name).stdout
                _docker("rm", "-f", name)
        assert outcome.kind == "response", (outcome.body, logs)
        result = json.loads(outcome.body)
        assert result["ok"] is True
        assert result["six"]
    finally:
        _docker("image", "rm", "-f", image_id)


def test_cli_lists_the_base_images(capsys: pytest.CaptureFixture[str]) -> None:
    from lambdabox.cli import main

    assert main(["base", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [row["name"] for row in rows] == base_names()
    assert main(["base"]) == 2


@pytest.mark.parametrize("buildkit", [False, True], ids=["sdk", "buildkit"])
def test_build_a_user_dockerfile_and_run_it(
    loaded: dict[str, str], tmp_path: Path, buildkit: bool, lambda_image: Any
) -> None:
    """`lambdabox build --dockerfile`: FROM our base, built by Docker, exported, then run."""
    from builder import validate_layout
    from lambdabox.cli import main as lambdabox_main

    (tmp_path / "app.py").write_text(
        "def handler(event, context):\n    return {'from': 'dockerfile', 'event': event}\n"
    )
    (tmp_path / "Dockerfile").write_text(
        f'FROM {loaded["python3.11"]}\nCOPY app.py /var/task/\nCMD ["app.handler"]\n'
    )
    tag = f"lambdabox-test-dockerfile:{'bk' if buildkit else 'sdk'}"
    argv = [
        "build",
        str(tmp_path),
        "--dockerfile",
        str(tmp_path / "Dockerfile"),
        "-t",
        tag,
        "--output",
        str(tmp_path / "out"),
    ]
    assert lambdabox_main([*argv, *(["--buildkit"] if buildkit else [])]) == 0
    try:
        validate_layout(tmp_path / "out")
        result = lambda_image(tag, timeout=5, cold=True).invoke({"n": 1})
        assert result.payload == {"from": "dockerfile", "event": {"n": 1}}
    finally:
        subprocess.run(["/usr/bin/docker", "rmi", "-f", tag], capture_output=True, check=False)
