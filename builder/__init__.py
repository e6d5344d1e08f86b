"""The daemonless, reproducible OCI image builder (standard library only; no Docker needed).

    from builder import Cache, layer_from_tree, scratch, write_layout, validate_layout

    cache = Cache(Path(".cache"))            # or Cache.default(): $LAMBDABOX_CACHE, ~/.cache/...
    code = layer_from_tree(Path("src"), prefix="/var/task", cache=cache)
    image = scratch("arm64").with_layers(code)
    image = image.with_config(replace(image.config, cmd=("app.handler",)))
    write_layout(Path("out"), image, tag="latest")   # then: skopeo copy oci:out:latest ...
    validate_layout(Path("out"))

Modules: `digest`, `media_types`, `entries`/`tree`/`zip_package` (what goes in a layer),
`tarball` (deterministic tar + gzip), `layer`, `build_layer`, `cache`, `config`, `manifest`,
`image`, `oci_layout`, `docker_archive`, `validate`, `reproducible`, `errors`, `testing`.
"""

from __future__ import annotations

from .build_layer import layer_from_entries, layer_from_tree, layer_from_zip
from .cache import Cache
from .config import History, ImageConfig
from .digest import Digest
from .docker_archive import write_docker_archive
from .entries import Entry
from .errors import (
    BuilderError,
    CacheError,
    DigestError,
    LayoutError,
    UnsafePathError,
    ValidationError,
)
from .image import Image, scratch
from .layer import BlobLayer, Layer
from .oci_layout import read_layout, write_layout
from .reproducible import DEFAULT_EPOCH, source_date_epoch
from .validate import validate_image, validate_layout

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


def __dir__() -> list[str]:
    return sorted(__all__)
