"""Function images: a base, then layers ordered by how often they change, then the code.

    image = build_function(Path("src"), base=read_layout(Path("base")), handler="app.handler",
                           requirements=Path("requirements.txt"), cache=Cache.default())

Layers on top of the base, least volatile first: the dependencies (`dependencies`, pip on the
host for the Lambda platform, cached by the requirements file), each Lambda layer (a folder or
.zip, unpacked under /opt), then the function code at /var/task (a folder, honouring
`.lambdaboxignore`, or a .zip). A code-only change therefore rebuilds one small layer; every
other layer is a cache hit. Nothing runs in a container.

The image records its base: `org.opencontainers.image.base.name`/`.digest`, and
`lambdabox.base.layers` (how many layers at the bottom are the base's), which `rebase.rebase()`
uses to swap in another base by editing the manifest only.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import IO

from ..layers.build import layer_from_entries
from ..layers.cache import Cache
from ..layers.entries import Entry
from ..layers.tarball import LayerBlob
from ..layers.tree import entries_from_tree
from ..layers.zip_package import ZipPackage
from ..oci.digest import Digest
from ..oci.errors import BuilderError
from ..oci.image import Image
from ..oci.layer import BlobLayer, Layer
from ..oci.reproducible import DEFAULT_EPOCH, rfc3339
from .dependencies import DependencySpec, Runner, dependency_layer
from .dependencies import _run as _run_pip
from .rebase import ANNOTATION_BASE_LAYERS

__all__ = ["Step", "build_function"]

TASK_ROOT = "/var/task"
OPT = "/opt"
OPAQUE = Entry.file(".wh..wh..opq", b"")
"""An opaque-folder whiteout: the lowest of our /var/task layers hides the base's /var/task,
so files (and bytecode compiled with unchecked hashes) the base left there cannot shadow the
function's own code."""


@dataclass(frozen=True)
class Step:
    """One layer of a build: what it is, its blob, whether the cache had it, and how long."""

    name: str
    digest: Digest
    size: int
    cached: bool
    seconds: float

    def __str__(self) -> str:
        state = "cached" if self.cached else "built"
        return (
            f"{self.name}: {self.digest.short} {_human(self.size)} ({state}, {self.seconds:.2f} s)"
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "digest": str(self.digest),
            "size": self.size,
            "cached": self.cached,
            "seconds": round(self.seconds, 3),
        }


def _human(size: int) -> str:
    if size < 1000:
        return f"{size} B"
    if size < 1000_000:
        return f"{size / 1000:.1f} kB"
    return f"{size / 1000_000:.1f} MB"


class _WatchedCache(Cache):
    """The same cache, noting whether a layer had to be written (a miss)."""

    def __init__(self, cache: Cache) -> None:
        super().__init__(cache.root)
        self.stored = False

    def store(self, key: str, write: Callable[[IO[bytes]], LayerBlob]) -> LayerBlob:
        self.stored = True
        return super().store(key, write)


def _tree_or_zip_layer(
    source: Path,
    prefix: str,
    cache: Cache,
    mtime: int,
    what: str,
    opaque: bool = False,
    skip: Sequence[Path] = (),
) -> tuple[BlobLayer, bool]:
    watched = _WatchedCache(cache)
    created_by = f"lambdabox: {what} {source.name} at {prefix}"
    extra = [OPAQUE] if opaque else []

    def layer(entries: list[Entry]) -> BlobLayer:
        return layer_from_entries(
            [*entries, *extra],
            prefix=prefix,
            cache=watched,
            mtime=mtime,
            created_by=created_by,
            comment=what,
        )

    if source.is_dir():
        made = layer(entries_from_tree(source, skip=skip))
    elif source.is_file() and source.suffix.lower() == ".zip":
        with ZipPackage(source) as package:
            made = layer(list(package.entries))
    else:
        raise BuilderError(f"{what} {source}: not a folder or a .zip file")
    return made, not watched.stored


def build_function(
    source: Path,
    *,
    base: Image,
    handler: str,
    requirements: Path | None = None,
    layers: Sequence[Path] = (),
    env: Mapping[str, str] | None = None,
    python_version: str = "3.11",
    platform: str = "manylinux2014_x86_64",
    only_binary: bool = True,
    build_sdists: bool = False,
    bytecode: bool = True,
    cache: Cache,
    progress: Callable[[Step], None] | None = None,
    base_name: str = "",
    labels: Mapping[str, str] | None = None,
    pip_args: Sequence[str] = (),
    mtime: int = DEFAULT_EPOCH,
    run: Runner = _run_pip,
    say: Callable[[str], None] | None = None,
    skip: Sequence[Path] = (),
) -> Image:
    """The function image: `base` + dependencies + each of `layers` (at /opt) + `source`.

    `source` is the code folder or a Lambda .zip; `handler` becomes the CMD; `env` is added
    to the base's environment. `progress` is called once per layer built or found in `cache`.
    `run` runs pip (an injectable port: `run(argv) -> CompletedProcess`). `build_sdists`
    builds the wheels of source-only requirements inside `base` (`sdists`; needs Docker),
    reporting through `say`. `bytecode` ships the dependencies' .pyc files (`bytecode`).
    `skip`: paths never read from the code or layer folders (the build's own output).
    """
    if not only_binary:
        raise BuilderError(
            "installing for another platform needs wheels (pip --only-binary=:all:); "
            "only_binary=False is not supported"
        )
    if not handler or handler.startswith("-"):
        raise BuilderError(f"handler {handler!r} is not a module.function name")
    report = progress or (lambda _step: None)
    added: list[Layer] = []

    def timed(name: str, make: Callable[[], tuple[BlobLayer, bool]]) -> None:
        started = time.perf_counter()
        layer, cached = make()
        added.append(layer)
        report(Step(name, layer.digest, layer.size, cached, time.perf_counter() - started))

    if requirements is not None:
        sdists = None
        if build_sdists:
            from .sdists import SdistBuilder

            sdists = SdistBuilder(
                base, cache=cache, pip_args=pip_args, say=say, base_name=base_name
            )
        spec = DependencySpec(
            requirements,
            python_version,
            platform,
            pip_args=tuple(pip_args),
            sdist_key=sdists.key() if sdists else "",
            bytecode=bytecode,
        )
        timed(
            "dependencies",
            lambda: dependency_layer(
                spec, cache=cache, run=run, build_sdist=sdists, mtime=mtime, opaque=True
            ),
        )
    for path in layers:
        layer = partial(_tree_or_zip_layer, path, OPT, cache, mtime, "Lambda layer", skip=skip)
        timed(f"layer {path.name}", layer)
    opaque = requirements is None  # the lowest of our /var/task layers hides the base's
    code = partial(_tree_or_zip_layer, source, TASK_ROOT, cache, mtime, "function code", opaque)
    timed("code", partial(code, skip=skip))  # the layer's own output is never read back
    return _assemble(base, added, handler, env or {}, labels or {}, base_name, mtime)


def _assemble(
    base: Image,
    added: Sequence[Layer],
    handler: str,
    env: Mapping[str, str],
    labels: Mapping[str, str],
    base_name: str,
    mtime: int,
) -> Image:
    config = base.config
    for key, value in env.items():
        config = config.with_env(key, value)
    config = config.with_labels({"lambdabox.handler": handler, **labels})
    config = replace(config, cmd=(handler,), created=rfc3339(mtime))
    if not config.workdir:
        config = replace(config, workdir=TASK_ROOT)
    bottom = Image(base.layers, config)  # the base's own manifest annotations are not kept
    image = bottom.with_layers(*added).with_base(base_name or "unknown", base.digest)
    return image.with_annotations({ANNOTATION_BASE_LAYERS: str(len(base.layers))})
