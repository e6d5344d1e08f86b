"""A small Lambda-style Python test image, built locally without any registry.

Debian bookworm (mmdebstrap, minbase + python3) with this repository's `runtime_interface`
in /var/runtime and a handler in /var/task, imported into the local Docker daemon. The tag
is derived from a hash of everything that goes in (sources, handler, recipe), so a change
rebuilds and an unchanged tree reuses the image.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import runtime_interface
from builder.base import mmdebstrap
from builder.oci.errors import BuilderError

TEST_IMAGE_REPOSITORY = "lambdabox-test-python"
"""Every test image is tagged `TEST_IMAGE_REPOSITORY:<inputs hash>`."""

INPUTS_LABEL = "lambdabox.inputs"
MIRROR = "http://deb.debian.org/debian"
SUITE = "bookworm"
SOURCE_DATE_EPOCH = "1735689600"  # 2025-01-01T00:00:00Z: pinned for reproducible metadata

PATH_EXCLUDES = (
    "/usr/share/doc/*",
    "/usr/share/man/*",
    "/usr/share/info/*",
    "/usr/share/locale/*",
    "/usr/share/lintian/*",
    "/usr/share/linda/*",
    "/usr/share/bug/*",
    "/usr/share/common-licenses/*",
    "/usr/lib/x86_64-linux-gnu/gconv/*",  # iconv modules: Python does not use them
    "/usr/lib/aarch64-linux-gnu/gconv/*",
)
PATH_INCLUDES = ("/usr/share/doc/*/copyright",)  # keep the licences

IMAGE_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "TZ": ":/etc/localtime",
    "LAMBDA_TASK_ROOT": "/var/task",
    "LAMBDA_RUNTIME_DIR": "/var/runtime",
    "PYTHONPATH": "/var/runtime",
    "PYTHONDONTWRITEBYTECODE": "1",  # the root filesystem is read-only at run time
}
ENTRYPOINT = ["/usr/bin/python3", "-m", "runtime_interface"]
CMD = ["app.handler"]
RECIPE_VERSION = 1  # bump when the recipe changes in a way the fields below do not show

DEFAULT_APP = Path(__file__).resolve().parents[2] / "tests" / "scenarios" / "emulator" / "app.py"


class ImageBuildError(RuntimeError):
    """The test image could not be built; the message says why and what to do."""


def _mmdebstrap_args(stage: Path, output: Path, with_extensions: bool = False) -> list[str]:
    args = [
        "mmdebstrap",
        "--variant=essential",
        "--include=python3",
        "--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr",
        '--aptopt=Acquire::Languages "none"',
    ]
    args += [f"--dpkgopt=path-exclude={p}" for p in PATH_EXCLUDES]
    args += [f"--dpkgopt=path-include={p}" for p in PATH_INCLUDES]
    args += [
        '--customize-hook=mkdir -p "$1/var/runtime" "$1/var/task"',
        f"--customize-hook=copy-in {stage / 'runtime' / 'runtime_interface'} /var/runtime",
        f"--customize-hook=copy-in {stage / 'task' / 'app.py'} /var/task",
        *([f"--customize-hook=copy-in {stage / 'extensions'} /opt"] if with_extensions else []),
        # Bytecode now, since nothing can be written at run time: faster cold starts.
        '--customize-hook=chroot "$1" /usr/bin/python3 -m compileall -q'
        " --invalidation-mode unchecked-hash /var/runtime /var/task",
        '--customize-hook=rm -rf "$1"/var/cache/apt/* "$1"/var/lib/apt/lists/*'
        ' "$1"/var/log/* "$1"/etc/machine-id',
        SUITE,
        str(output),
        MIRROR,
    ]
    return args


def _changes(digest: str) -> list[str]:
    changes = [f"ENV {name}={value}" for name, value in IMAGE_ENV.items()]
    changes += [
        "WORKDIR /var/task",
        f"ENTRYPOINT {json.dumps(ENTRYPOINT)}",
        f"CMD {json.dumps(CMD)}",
        f"LABEL {INPUTS_LABEL}={digest}",
    ]
    return changes


def _runtime_sources() -> list[Path]:
    root = Path(runtime_interface.__file__).resolve().parent
    files = [
        p
        for p in root.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix in (".py", ".typed")
    ]
    return sorted(files)


def inputs_digest(app_source: Path = DEFAULT_APP, extensions: Sequence[Path] = ()) -> str:
    """Hash of everything the image is built from: sources, handler, recipe."""
    root = Path(runtime_interface.__file__).resolve().parent
    h = hashlib.sha256()
    recipe = {
        "version": RECIPE_VERSION,
        "mmdebstrap": _mmdebstrap_args(Path("/stage"), Path("/out.tar")),
        "changes": _changes(""),
        "epoch": SOURCE_DATE_EPOCH,
    }
    h.update(json.dumps(recipe, sort_keys=True).encode())
    for path in _runtime_sources():
        h.update(b"\0runtime/" + path.relative_to(root).as_posix().encode() + b"\0")
        h.update(path.read_bytes())
    h.update(b"\0task/app.py\0" + app_source.read_bytes())
    for extension in extensions:
        h.update(b"\0extensions/" + extension.name.encode() + b"\0" + extension.read_bytes())
    return h.hexdigest()


def _client() -> Any:
    try:
        import docker  # type: ignore[import-untyped]
    except ImportError as exc:  # pragma: no cover - docker is a dependency
        raise ImageBuildError("the docker Python package is missing: pip install docker") from exc
    try:
        return docker.from_env()
    except docker.errors.DockerException as exc:
        raise ImageBuildError(
            f"no Docker daemon answers ({exc}); run scripts/setup-host.sh"
        ) from exc


def _existing(client: Any, tag: str, digest: str) -> bool:
    import docker

    try:
        image = client.images.get(tag)
    except docker.errors.ImageNotFound:
        return False
    return bool((image.labels or {}).get(INPUTS_LABEL) == digest)


@contextlib.contextmanager
def _build_lock() -> Iterator[None]:
    """One build at a time on this machine (parallel test runs share the image)."""
    path = Path(tempfile.gettempdir()) / "lambdabox-test-image.lock"
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _stage(stage: Path, app_source: Path, extensions: Sequence[Path] = ()) -> None:
    root = Path(runtime_interface.__file__).resolve().parent
    target = stage / "runtime" / "runtime_interface"
    for path in _runtime_sources():
        dest = target / path.relative_to(root)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, dest)
    (stage / "task").mkdir(parents=True)
    shutil.copyfile(app_source, stage / "task" / "app.py")
    for dirpath, dirnames, filenames in os.walk(stage):
        os.chmod(dirpath, 0o755)
        for name in filenames:
            os.chmod(os.path.join(dirpath, name), 0o644)
        del dirnames  # walked anyway
    if extensions:
        (stage / "extensions").mkdir(mode=0o755)
        for extension in extensions:
            dest = stage / "extensions" / extension.name
            shutil.copyfile(extension, dest)
            os.chmod(dest, 0o755)


def _run_mmdebstrap(args: list[str], say: Callable[[str], None]) -> None:
    try:
        mmdebstrap.run(args, epoch=int(SOURCE_DATE_EPOCH), say=say, shown=("I:", "E:", "W:"))
    except BuilderError as exc:
        raise ImageBuildError(f"{exc}\n(run scripts/setup-host.sh if tools are missing)") from exc


def _build(
    client: Any,
    tag: str,
    digest: str,
    app_source: Path,
    say: Callable[[str], None],
    extensions: Sequence[Path] = (),
) -> None:
    repository, _, version = tag.rpartition(":")
    if not repository or "/" in version:
        repository, version = tag, "latest"
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="lambdabox-image-") as tmp:
        stage = Path(tmp) / "stage"
        output = Path(tmp) / "rootfs.tar"
        _stage(stage, app_source, extensions)
        say(f"building {tag}: Debian {SUITE} + python3 with mmdebstrap (a minute or two)")
        _run_mmdebstrap(_mmdebstrap_args(stage, output, bool(extensions)), say)
        size_mb = output.stat().st_size / 1e6
        say(f"importing {size_mb:.1f} MB root filesystem as {tag}")
        client.api.import_image(
            src=str(output), repository=repository, tag=version, changes=_changes(digest)
        )
    say(f"built {tag} in {time.monotonic() - started:.0f} s")


def python_test_image(
    *,
    tag: str | None = None,
    progress: Callable[[str], None] | None = None,
    app_source: Path | None = None,
    extensions: Sequence[Path] = (),
) -> str:
    """The test image's tag, building it first when missing or built from other inputs.

    `tag` defaults to `TEST_IMAGE_REPOSITORY:<inputs hash>`; `app_source` (the handler
    copied to /var/task/app.py) defaults to tests/scenarios/emulator/app.py.
    """
    say = progress or (lambda _line: None)
    app = app_source or DEFAULT_APP
    if not app.is_file():
        raise ImageBuildError(f"handler {app} not found: pass app_source=")
    digest = inputs_digest(app, extensions)
    tag = tag or f"{TEST_IMAGE_REPOSITORY}:{digest[:16]}"
    client = _client()
    try:
        if _existing(client, tag, digest):
            return tag
        with _build_lock():
            if not _existing(client, tag, digest):
                _build(client, tag, digest, app, say, extensions)
    finally:
        client.close()
    return tag
