"""Container mode: each function's image, built with lambdabox's builder and loaded into Docker.

Zip functions are built onto the lambdabox base image of their Runtime (python3.9, 3.11,
3.13, provided; built from Debian packages on first use and cached), with their local
layers under /opt and their code at /var/task; every layer is cached by content, so a
rebuild after a code edit redoes one small layer. Image functions are built from their
Metadata Dockerfile/DockerContext with Docker, or used as declared (ImageUri, which must be
in the local Docker daemon: no registry is reached).
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from pathlib import Path

from lambdabox.app.errors import AppError
from lambdabox.app.spec import FunctionSpec

BASES = {
    "python3.9": "python3.9",
    "python3.11": "python3.11",
    "python3.13": "python3.13",
    "provided": "provided",
    "provided.al2": "provided",
    "provided.al2023": "provided",
}
REPOSITORY = "lambdabox-app"


def base_of(spec: FunctionSpec) -> str:
    """The lambdabox base image name for the function's Runtime."""
    base = BASES.get(spec.runtime)
    if base is None:
        raise AppError(
            f"Resources.{spec.path}.Properties.Runtime: no lambdabox base image for "
            f"{spec.runtime!r} (there are: {', '.join(sorted(set(BASES)))}); pick one of those"
            " or declare PackageType: Image with a Dockerfile"
        )
    return base


def _tag(spec: FunctionSpec) -> str:
    return re.sub(r"[^a-z0-9_.-]+", "-", spec.name.lower()).strip("-.") or "function"


def _code_folder(spec: FunctionSpec, scratch: Path) -> Path:
    if spec.code is not None:
        return spec.code
    folder = scratch / f"inline-{_tag(spec)}"
    folder.mkdir(parents=True, exist_ok=True)
    module = spec.handler.rsplit(".", 1)[0].replace(".", "/") or "index"
    (folder / f"{module}.py").write_text(spec.inline_code or "")
    return folder


def build_image(spec: FunctionSpec, scratch: Path, say: Callable[[str], None]) -> str:
    """The Docker reference of the function's image, built (cached) and loaded as needed."""
    from lambdabox.app.building import BuilderError

    try:
        return _build(spec, scratch, say)
    except BuilderError as exc:
        raise AppError(f"{spec.path}: building its image failed: {exc}") from None
    except Exception as exc:
        if type(exc).__module__.split(".")[0] not in ("docker", "requests", "urllib3"):
            raise
        raise AppError(
            f"{spec.path}: Docker failed ({exc}); container mode needs a Docker daemon "
            "(as root: scripts/setup-host.sh), or use --mode process for Python functions"
        ) from None


def _build(spec: FunctionSpec, scratch: Path, say: Callable[[str], None]) -> str:
    if spec.is_image:
        if spec.dockerfile:
            from lambdabox.app.building import build_with_sdk

            context = spec.docker_context or Path.cwd()
            ref = f"{REPOSITORY}/{_tag(spec)}:dockerfile"
            say(f"{spec.path}: docker build {context} (Dockerfile {spec.dockerfile})")
            build_with_sdk(context, context / spec.dockerfile, ref, say)
            return ref
        assert spec.image_uri is not None
        return spec.image_uri
    from lambdabox.app.building import (
        Cache,
        DockerSDKExporter,
        Image,
        build_function,
        ensure_base,
        read_layout,
        write_layout,
    )

    cache = Cache.default()
    arm = spec.architecture == "arm64"
    platform = "manylinux2014_aarch64" if arm else None
    made = ensure_base(base_of(spec), cache, say, arch="arm64" if arm else None)
    base = made if isinstance(made, Image) else read_layout(Path(made))
    base_name = f"{base_of(spec)}-arm64" if arm else base_of(spec)
    image = build_function(
        _code_folder(spec, scratch),
        base=base,
        handler=spec.handler,
        layers=list(spec.layers),
        python_version=spec.runtime.removeprefix("python") if spec.is_python else "3.11",
        platform=platform or "manylinux2014_x86_64",
        cache=cache,
        base_name=base_name,
    )
    ref = f"{REPOSITORY}/{_tag(spec)}:latest"  # one tag per function: rebuilds replace it
    if _docker_image_id(ref) != str(image.config_digest):  # Docker's image ID
        with tempfile.TemporaryDirectory(dir=scratch, prefix="layout-") as out:
            write_layout(Path(out), image, tag="latest")
            DockerSDKExporter().export(Path(out), "latest", ref)
        say(f"{spec.path}: built {ref} ({image.config_digest}) on {base_name}")
    return ref


def _docker_image_id(ref: str) -> str | None:
    import docker  # type: ignore[import-untyped]

    client = docker.from_env()
    try:
        return str(client.images.get(ref).id)
    except docker.errors.ImageNotFound:
        return None
    finally:
        client.close()
