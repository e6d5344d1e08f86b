"""The builder's entry points this package uses, imported in one place.

Container mode builds with `build_function` onto `ensure_base` (the lambdabox base image
of a Runtime), Dockerfiles with `build_with_sdk`; hot reload watches with the builder's
`Watcher`/`fingerprint` (inotify, `.lambdaboxignore`). When the builder's modules move,
only these imports change.
"""

from __future__ import annotations

from builder import BuilderError, Cache, Image, read_layout, write_layout
from builder.base import ensure_base
from builder.export.docker_sdk import DockerSDKExporter
from builder.function.build import build_function
from builder.function.dockerfile import build_with_sdk
from builder.layers.watch import Fingerprint, Watcher, fingerprint

__all__ = [
    "BuilderError",
    "Cache",
    "DockerSDKExporter",
    "Fingerprint",
    "Image",
    "Watcher",
    "build_function",
    "build_with_sdk",
    "ensure_base",
    "fingerprint",
    "read_layout",
    "write_layout",
]
