"""Building a base image from its definition: three layers, the config, the annotations.

`build_image` runs the two cached mmdebstrap runs in parallel (`rootfs_tar`), makes the
OS layer and the runtime layer (the paths the runtime run added or changed: `rootfs`),
then the runtime interface layer (`interface`, plus its bytecode for Python images:
`bytecode`). The config has the AWS environment (`AWS_ENV`) and the definition's, the
entry point /lambda-entrypoint.sh, the workdir /var/task and the OCI labels, whose version
carries a fingerprint of the definition and the layers' diff IDs.
"""

from __future__ import annotations

import concurrent.futures
import functools
import hashlib
from dataclasses import replace

from ..layers.build import layer_from_entries
from ..layers.cache import Cache
from ..oci.image import Image, scratch
from ..oci.reproducible import rfc3339
from .arch import ensure_emulation, normalize_arch
from .bytecode import bytecode_entries
from .definition import BaseDefinition, load_definition
from .interface import runtime_interface_entries
from .rootfs import diff_trees, read_rootfs_tar, rootfs_layer
from .rootfs_tar import Progress, base_epoch, rootfs_path, rootfs_tar

__all__ = ["AWS_ENV", "build_image", "say_nothing"]

AWS_ENV = (
    ("LANG", "C.UTF-8"),  # the only locale without the locales package (AWS: en_US.UTF-8)
    ("TZ", ":/etc/localtime"),
    ("PATH", "/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin"),
    (
        "LD_LIBRARY_PATH",
        "/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:"
        "/opt/lib",
    ),
    ("LAMBDA_TASK_ROOT", "/var/task"),
    ("LAMBDA_RUNTIME_DIR", "/var/runtime"),
)


def say_nothing(_line: str) -> None:
    """The default progress: says nothing."""


def _labels(definition: BaseDefinition, digest_source: str) -> dict[str, str]:
    from runtime_interface import __version__

    labels = {
        "org.opencontainers.image.title": f"lambdabox base image {definition.name}",
        "org.opencontainers.image.description": definition.description,
        "org.opencontainers.image.source": f"lambdabox: base_images/{definition.name}/base.toml",
        "org.opencontainers.image.version": f"{__version__}-{digest_source[:12]}",
        "org.opencontainers.image.base.name": f"debian:{definition.suite}",
        "org.opencontainers.image.licenses": "Apache-2.0 AND Debian packages' licences",
    }
    labels.update(definition.labels)
    return {k: v for k, v in labels.items() if v}


def build_image(
    name: str,
    *,
    cache: Cache,
    progress: Progress | None = None,
    arch: str | None = None,
) -> Image:
    """The base image `name`, built (or found) in `cache`; nothing written to a layout.

    `arch` (amd64 or arm64; default: this machine's) other than the host's runs the image's
    programs through qemu (`arch.ensure_emulation`).
    """
    say = progress or say_nothing
    definition = load_definition(name)
    arch = normalize_arch(arch)
    epoch = base_epoch(definition)
    rootfs = functools.partial(rootfs_tar, definition, cache, epoch, say=say, arch=arch)
    runs = (False, True) if definition.runtime_packages else (False,)
    if not all(rootfs_path(definition, cache, epoch, r, arch).is_file() for r in runs):
        ensure_emulation(arch, say)  # before the two runs; a cached build needs no qemu
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        os_future = pool.submit(rootfs, with_runtime=False)
        runtime_future = (
            pool.submit(rootfs, with_runtime=True) if definition.runtime_packages else None
        )
        os_tar = os_future.result()
        runtime_tar = runtime_future.result() if runtime_future else None
    layers = []
    say(f"{definition.name}: OS layer")
    with read_rootfs_tar(os_tar) as os_tree:
        layers.append(
            rootfs_layer(
                os_tree,
                cache=cache,
                mtime=epoch,
                created_by=f"lambdabox base: Debian {definition.suite} "
                f"({', '.join(definition.os_packages)})",
                comment="mmdebstrap --variant=custom",
            )
        )
        if runtime_tar is not None:
            say(f"{definition.name}: runtime layer (diff of the two runs)")
            with read_rootfs_tar(runtime_tar) as runtime_tree:
                paths = diff_trees(os_tree.entries, runtime_tree.entries)
                layers.append(
                    rootfs_layer(
                        runtime_tree,
                        paths,
                        cache=cache,
                        mtime=epoch,
                        created_by="lambdabox base: apt-get install "
                        + " ".join(definition.runtime_packages),
                        comment="paths added or changed relative to the OS layer",
                    )
                )
    interface = runtime_interface_entries(definition)
    if runtime_tar is not None and definition.python:
        interface += bytecode_entries(interface, runtime_tar, cache=cache, say=say, arch=arch)
    layers.append(
        layer_from_entries(
            interface,
            cache=cache,
            mtime=epoch,
            created_by="lambdabox base: /lambda-entrypoint.sh, /var/runtime"
            + (", aws-lambda-rie" if definition.python else ""),
            comment="runtime interface",
        )
    )
    image = scratch(arch, created=epoch).with_layers(*layers)
    config = image.config
    for key, value in (*AWS_ENV, *definition.env.items()):
        config = config.with_env(key, value)
    fingerprint = hashlib.sha256(
        (definition.fingerprint() + "".join(str(layer.diff_id) for layer in layers)).encode()
    ).hexdigest()
    config = replace(
        config,
        entrypoint=("/lambda-entrypoint.sh",),
        workdir="/var/task",
        created=rfc3339(epoch),
    ).with_labels(_labels(definition, fingerprint))
    image = image.with_config(config)
    return image.with_annotations(
        {
            "org.opencontainers.image.title": f"lambdabox base image {definition.name}",
            "org.opencontainers.image.base.name": f"debian:{definition.suite}",
            "org.opencontainers.image.created": rfc3339(epoch),
            "org.opencontainers.image.version": config.labels["org.opencontainers.image.version"],
        }
    )
