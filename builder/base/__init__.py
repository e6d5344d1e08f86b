"""Base images (`python3.11`, `python3.13`, `python3.9`, `provided`) from Debian packages.

`definition` (`base_images/<name>/base.toml` read into a `BaseDefinition`),
`mmdebstrap_args` and `mmdebstrap` (the command lines of the two root filesystem runs, and
running them), `rootfs_tar` (their cached tarballs and cache keys), `rootfs` (layers from
the tarballs), `arch` (amd64/arm64, qemu), `scripts` and `interface` (the runtime interface
layer: entry point, bootstrap, the client and the bundled emulator), `bytecode` (its .pyc),
`image` (the image: `build_image`), `publish` (docker load, skopeo push) and `build`
(cached OCI layouts: `build_base`, `ensure_base`; see its docstring for the layers). May
import `builder.layers` and `builder.oci`; not `builder.function`, `builder.export` or the
CLI. The names below are re-exported from `build`.
"""

from __future__ import annotations

from .build import (
    AWS_ENV,
    BASE_BUILDER_VERSION,
    DOCKER_REPOSITORY,
    ENTRYPOINT_MESSAGE,
    ENTRYPOINT_STATUS,
    PROVIDED_NO_API_MESSAGE,
    BuildResult,
    build_base,
    build_image,
    ensure_base,
    image_summary,
    load_into_docker,
    mmdebstrap_args,
    push,
    runtime_interface_entries,
)

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
    "load_into_docker",
    "mmdebstrap_args",
    "push",
    "runtime_interface_entries",
]
