"""The base image of `lambdabox build`, `package --build-sdists` and `rebase` (`--base`).

`resolve_base` gives the image and the name recorded for it: --base DIR is an OCI layout;
--base REF an image in the Docker daemon, copied once per image ID into
`<cache>/bases/` with skopeo (`daemon_base`); no --base, the lambdabox base image of
--runtime (`builder.base.ensure_base`, built on first use) for the architecture of the
wheel --platform.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..layers.cache import Cache
from ..oci.errors import BuilderError
from ..oci.image import Image
from ..oci.layout import read_layout

__all__ = ["daemon_base", "resolve_base"]


def _daemon_image_id(ref: str) -> str:
    try:
        import docker  # type: ignore[import-untyped]

        client = docker.from_env()
        try:
            return str(client.images.get(ref).id)
        finally:
            client.close()
    except Exception as exc:
        if type(exc).__module__.split(".")[0] not in ("docker", "requests", "urllib3"):
            raise
        raise BuilderError(
            f"--base {ref}: not a folder, and the Docker daemon has no such image ({exc}); "
            "pass an OCI layout folder or a local image NAME:TAG"
        ) from exc


def daemon_base(ref: str, cache: Cache) -> Path:
    """The daemon image `ref` as an OCI layout in the cache, copied once per image ID."""
    import subprocess  # here, not at the top: most builds take --base DIR or the default
    import tempfile

    from ..export import ExportError

    image_id = _daemon_image_id(ref)
    folder = cache.root / "bases" / hashlib.sha256(image_id.encode()).hexdigest()[:32]
    if (folder / "index.json").is_file():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder.parent, prefix=".tmp-") as temp:
        argv = ["skopeo", "copy", "--quiet", f"docker-daemon:{ref}", f"oci:{temp}/base:base"]
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise ExportError(
                "skopeo", argv, done.returncode, done.stderr.strip()[-2000:], "is skopeo installed?"
            )
        os.replace(Path(temp) / "base", folder)
    return folder


def resolve_base(
    base: str | None,
    runtime: str,
    cache: Cache,
    say: Callable[[str], None] | None = None,
    *,
    platform: str | None = None,
) -> tuple[Image, str]:
    """`--base` as an image and its name; by default the base of `runtime` for `platform`.

    The default base has the architecture the wheel `platform` names (manylinux2014_aarch64:
    the arm64 base, named e.g. python3.11-arm64; x86_64: amd64), else this machine's.
    """
    if base is None:
        from ..base.arch import arch_of_platform
        from ..base.build import ensure_base

        arch = arch_of_platform(platform) if platform else None
        # built on first use (about 20 s; arm64 on x86_64 through qemu, longer)
        made: Any = ensure_base(runtime, cache, say, arch=arch)
        image = made if isinstance(made, Image) else read_layout(Path(made))
        name = runtime if arch in (None, "amd64") else f"{runtime}-{arch}"
        return image, name
    path = Path(base)
    if path.is_dir():
        return read_layout(path), str(path.resolve())
    return read_layout(daemon_base(base, cache)), base
