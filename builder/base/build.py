"""Base images (`python3.11`, `python3.13`, `python3.9`, `provided`) from Debian packages.

    from builder import Cache
    from builder.base import build_base, ensure_base

    image = build_base("python3.11", output=Path("out"), cache=Cache.default())
    layout = ensure_base("python3.11", Cache.default())   # cached OCI layout, tag "python3.11"
    arm = ensure_base("python3.11", Cache.default(), arch="arm64")   # on x86_64: through qemu

The definitions are data: `base_images/<name>/base.toml` (see `builder.base.definition`). A build
never runs `docker build`; it runs mmdebstrap twice, in parallel, with SOURCE_DATE_EPOCH pinned:

1. OS layer: the definition's `layers.os.packages` (a minimal `--variant=custom` set: libc,
   dpkg, sh, coreutils, ...).
2. Runtime layer: a second run with the OS packages plus `layers.runtime.packages` (Python,
   pip); the layer holds the paths this run added or changed relative to the first run.
   A path the second run removed is an error.
3. Runtime interface layer: `/lambda-entrypoint.sh` (the AWS base-image contract),
   `/var/runtime/bootstrap`, `/var/runtime/runtime_interface` and, for Python images, the
   emulator at `/var/runtime/emulator` (outside the function's import path) behind
   `/usr/local/bin/aws-lambda-rie`, with their bytecode compiled by the image's own Python
   (`builder.base.bytecode`: the root filesystem is read-only when functions run).

Docs, man pages, locales, info, lintian files, gconv modules, apt lists, /var/cache, /var/log
are stripped, and in Python images the stdlib's test suite, lib2to3, idlelib, tkinter,
turtledemo, pydoc_data and ensurepip, plus the bytecode of pip/setuptools (used at build time
only). The stdlib bytecode is kept, recompiled as unchecked-hash .pyc (valid whatever the file
mtimes, byte-identical across builds with PYTHONHASHSEED=0).

Architectures: amd64 and arm64 (`arch=`, default this machine's; config `architecture`, and
variant "v8" for arm64). The other one is built through qemu-user-static and binfmt_misc
(`builder.base.arch`): mmdebstrap runs the foreign maintainer scripts, and the chroots run
the foreign Python, through it.

Caching: the two mmdebstrap tarballs are kept in `<cache>/base/rootfs/<key>.tar`, keyed by
the definition's package inputs, the architecture, SOURCE_DATE_EPOCH and
`BASE_BUILDER_VERSION`; layer blobs go through the core `Cache`. A warm build reads the
tarballs and finds every blob cached. The mirror moves on, so to pick up Debian updates bump
`source_date_epoch` in base.toml (or set SOURCE_DATE_EPOCH); builds with the same key and the
same mirror content give the same digest.

The package's other modules are listed in `builder/base/__init__.py`; `lambdabox base` is
`builder.cli.base`. This module writes and caches the OCI layouts (`build_base`,
`ensure_base`).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..layers.cache import Cache
from ..layers.entries import FileSource
from ..oci.image import Image
from ..oci.layout import write_layout
from ..oci.validate import validate_layout
from .arch import normalize_arch
from .bytecode import BYTECODE_VERSION
from .definition import BASE_IMAGES_DIR, load_definition
from .image import AWS_ENV, build_image, say_nothing
from .interface import bundled_folders, runtime_interface_entries
from .mmdebstrap_args import mmdebstrap_args
from .publish import DOCKER_REPOSITORY, load_into_docker, push
from .rootfs_tar import BASE_BUILDER_VERSION, Progress, base_epoch, base_key
from .scripts import ENTRYPOINT_MESSAGE, ENTRYPOINT_STATUS, PROVIDED_NO_API_MESSAGE

# BuildResult, build_base, ensure_base and image_summary are defined here; the others come
# from the base_* modules and stay importable from here, as before the split.
__all__ = [
    "AWS_ENV",
    "BASE_BUILDER_VERSION",
    "DOCKER_REPOSITORY",
    "ENTRYPOINT_MESSAGE",
    "ENTRYPOINT_STATUS",
    "PROVIDED_NO_API_MESSAGE",
    "BuildResult",
    "build_base",
    "build_image",
    "ensure_base",
    "image_summary",
    "layout_folder",
    "layout_inputs",
    "load_into_docker",
    "mmdebstrap_args",
    "push",
    "runtime_interface_entries",
]


@dataclass(frozen=True)
class BuildResult:
    """What `build_base` made; `image` is written to `layout` under the tag `tag`."""

    image: Image
    layout: Path
    tag: str
    seconds: float


def build_base(
    name: str,
    *,
    output: Path,
    cache: Cache | None = None,
    progress: Progress | None = None,
    arch: str | None = None,
) -> Image:
    """Build the base image `name` into the OCI layout `output` (tag `name`) and return it.

    `cache` defaults to `Cache.default()` ($LAMBDABOX_CACHE). `progress` gets one line per
    long step (the mmdebstrap runs take about 20 s each, in parallel; a warm build ~2 s).
    `arch`: amd64 or arm64 (default: this machine's; another one is emulated with qemu, and
    a Python image's runtime run then takes about 90 s).
    """
    say = progress or say_nothing
    cache = cache if cache is not None else Cache.default()
    image = build_image(name, cache=cache, progress=say, arch=arch)
    say(f"{name}: writing the OCI layout {output}")
    write_layout(Path(output), image, tag=name)
    return image


def ensure_base(
    name: str,
    cache: Cache | None = None,
    progress: Progress | None = None,
    *,
    arch: str | None = None,
) -> Path:
    """A cached OCI layout holding the base image `name` (for `arch`) under the tag `name`.

    For the function builder: `read_layout(ensure_base("python3.11", cache), "python3.11")`
    gives the base `Image` to put function layers on (`image.with_layers(...)`, then
    `with_base(f"lambdabox/base:{name}", base.digest)`). The first call builds the base (about
    half a minute; needs mmdebstrap, root and the Debian mirror); later calls return at once.
    The folder is `<cache>/base/layouts/<name>-<key>`; the key covers the definition, the
    architecture (`arch`, default this machine's), SOURCE_DATE_EPOCH, the bundled
    runtime_interface and emulator sources and `BASE_BUILDER_VERSION`, so changing any of them
    builds a new layout.
    """
    cache = cache if cache is not None else Cache.default()
    arch = normalize_arch(arch)
    layout = layout_folder(name, cache, arch=arch)
    done = layout / ".complete"
    if done.is_file():
        return layout
    with tempfile.TemporaryDirectory(dir=_mkparent(layout), prefix=".tmp-") as tmp:
        staging = Path(tmp) / "layout"
        build_base(name, output=staging, cache=cache, progress=progress, arch=arch)
        validate_layout(staging, name)
        (staging / ".complete").write_text("ok\n")
        try:
            os.replace(staging, layout)
        except OSError:
            if not done.is_file():  # pragma: no cover - not a concurrent build finishing
                raise
    return layout


def layout_folder(name: str, cache: Cache, *, arch: str | None = None) -> Path:
    """Where `ensure_base` keeps the layout of `name` for `arch` (built or not):
    `<cache>/base/layouts/<name>-<key>`; see `ensure_base` for what the key covers."""
    definition = load_definition(name)
    sources = hashlib.sha256()
    for entry in runtime_interface_entries(definition):
        sources.update(entry.path.encode() + b"\0")
        if entry.source is not None:
            sources.update(str(entry.source.digest()).encode())
    inputs = {
        "definition": definition.fingerprint(),
        "sources": sources.hexdigest(),
        "bytecode": BYTECODE_VERSION,
    }
    key = base_key("layout", {**inputs, "arch": normalize_arch(arch)}, base_epoch(definition))
    return cache.root / "base" / "layouts" / f"{name}-{key[:16]}"


def layout_inputs(name: str) -> list[Path]:
    """The files and folders `layout_folder(name, ...)` reads besides the environment
    (SOURCE_DATE_EPOCH), the arch and the builder's own modules: `base.toml`, the bundled
    sources and the folders they are listed from (a file added there changes the key)."""
    definition = load_definition(name)
    paths = [BASE_IMAGES_DIR / name / "base.toml"]
    for entry in runtime_interface_entries(definition):
        if isinstance(entry.source, FileSource):
            paths.append(entry.source.path)
    paths += bundled_folders(definition)
    return paths


def _mkparent(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.parent


def image_summary(image: Image) -> dict[str, object]:
    """Digest, config digest, and compressed/uncompressed sizes (bytes) of `image`."""
    compressed = sum(layer.size for layer in image.layers)
    uncompressed = 0
    for layer in image.layers:
        with layer.open_uncompressed() as tar:
            while chunk := tar.read(1 << 20):
                uncompressed += len(chunk)
    return {
        "digest": str(image.digest),
        "config_digest": str(image.config_digest),
        "layers": [{"digest": str(layer.digest), "size": layer.size} for layer in image.layers],
        "compressed_size": compressed,
        "uncompressed_size": uncompressed,
    }
