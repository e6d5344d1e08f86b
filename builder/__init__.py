"""The daemonless, reproducible OCI image builder (standard library only; no Docker needed).

    from builder import Cache, layer_from_tree, scratch, write_layout, validate_layout

    cache = Cache(Path(".cache"))            # or Cache.default(): $LAMBDABOX_CACHE, ~/.cache/...
    code = layer_from_tree(Path("src"), prefix="/var/task", cache=cache)
    image = scratch("arm64").with_layers(code)
    image = image.with_config(replace(image.config, cmd=("app.handler",)))
    write_layout(Path("out"), image, tag="latest")   # then: skopeo copy oci:out:latest ...
    validate_layout(Path("out"))

Packages, each importing only those below it: `oci` (the image model and its on-disk forms:
digest, media types, config, manifest, layer, image, layout, docker archive, validation,
errors, reproducibility knobs), `layers` (entries, trees and ignore rules, zips,
deterministic tar, layer cache, bytecode), then `base` (base images), `function` (function
images and .zip packages), `export` (skopeo, docker SDK) and `quick` (the code-only fast path
of `lambdabox build`, run by the console script before the command line is parsed), and on
top `cli` (the `lambdabox build/package/rebase/base` commands). `testing` makes random
images for tests.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not `typing`: importing it costs the fast path ~5 ms
if TYPE_CHECKING:
    from .layers.build import layer_from_entries, layer_from_tree, layer_from_zip
    from .layers.cache import Cache
    from .layers.entries import Entry
    from .oci.config import History, ImageConfig
    from .oci.digest import Digest
    from .oci.docker_archive import write_docker_archive
    from .oci.errors import (
        BuilderError,
        CacheError,
        DigestError,
        LayoutError,
        UnsafePathError,
        ValidationError,
    )
    from .oci.image import Image, scratch
    from .oci.layer import BlobLayer, Layer
    from .oci.layout import read_layout, write_layout
    from .oci.reproducible import DEFAULT_EPOCH, source_date_epoch
    from .oci.validate import validate_image, validate_layout
del TYPE_CHECKING

# Imported on first use (PEP 562), so `lambdabox build` loads only the modules it runs.
_HOME = {
    "layer_from_entries": ".layers.build",
    "layer_from_tree": ".layers.build",
    "layer_from_zip": ".layers.build",
    "Cache": ".layers.cache",
    "Entry": ".layers.entries",
    "History": ".oci.config",
    "ImageConfig": ".oci.config",
    "Digest": ".oci.digest",
    "write_docker_archive": ".oci.docker_archive",
    "BuilderError": ".oci.errors",
    "CacheError": ".oci.errors",
    "DigestError": ".oci.errors",
    "LayoutError": ".oci.errors",
    "UnsafePathError": ".oci.errors",
    "ValidationError": ".oci.errors",
    "Image": ".oci.image",
    "scratch": ".oci.image",
    "BlobLayer": ".oci.layer",
    "Layer": ".oci.layer",
    "read_layout": ".oci.layout",
    "write_layout": ".oci.layout",
    "DEFAULT_EPOCH": ".oci.reproducible",
    "source_date_epoch": ".oci.reproducible",
    "validate_image": ".oci.validate",
    "validate_layout": ".oci.validate",
}

__all__ = [
    "DEFAULT_EPOCH",
    "BlobLayer",
    "BuilderError",
    "Cache",
    "CacheError",
    "Digest",
    "DigestError",
    "Entry",
    "History",
    "Image",
    "ImageConfig",
    "Layer",
    "LayoutError",
    "UnsafePathError",
    "ValidationError",
    "layer_from_entries",
    "layer_from_tree",
    "layer_from_zip",
    "read_layout",
    "scratch",
    "source_date_epoch",
    "validate_image",
    "validate_layout",
    "write_docker_archive",
    "write_layout",
]


def __getattr__(name: str) -> object:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'builder' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(home, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
