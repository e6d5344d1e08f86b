"""Cache keys of the base builds, and the cached mmdebstrap tarballs of the two runs.

Every base cache key (`base_key`) hashes a kind, the inputs, the epoch and
`BASE_BUILDER_VERSION`. The epoch is the definition's `source_date_epoch`, unless
SOURCE_DATE_EPOCH is set (`base_epoch`).

The tarball of the OS run or of the runtime run (`rootfs_tar`) is kept in
`<cache>/base/rootfs/<key>.tar` (`rootfs_path`), keyed by the definition's package inputs
(`os_inputs` or `runtime_inputs`), the architecture and the epoch; a missing one is made by
mmdebstrap (`mmdebstrap_args`) into a temp file, then moved into place.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from pathlib import Path

from ..layers.cache import Cache
from ..oci.reproducible import canonical_json
from . import mmdebstrap
from .arch import host_arch
from .definition import BaseDefinition
from .mmdebstrap_args import mmdebstrap_args

__all__ = ["BASE_BUILDER_VERSION", "base_epoch", "base_key", "rootfs_path", "rootfs_tar"]

BASE_BUILDER_VERSION = 5
"""Part of every base cache key; bump it when the same definition would now build differently."""

Progress = Callable[[str], None]


def base_epoch(definition: BaseDefinition, environ: dict[str, str] | None = None) -> int:
    """The build's SOURCE_DATE_EPOCH: the environment's if set, else the definition's."""
    env = os.environ if environ is None else environ
    text = env.get("SOURCE_DATE_EPOCH", "").strip()
    if text:
        from ..oci.reproducible import source_date_epoch

        return source_date_epoch({"SOURCE_DATE_EPOCH": text})
    return definition.source_date_epoch


def base_key(kind: str, inputs: object, epoch: int) -> str:
    """A base cache key: the sha256 of `kind`, `inputs`, `epoch` and BASE_BUILDER_VERSION."""
    data = {"kind": kind, "inputs": inputs, "epoch": epoch, "version": BASE_BUILDER_VERSION}
    return hashlib.sha256(canonical_json(data)).hexdigest()


def _run_mmdebstrap(args: list[str], epoch: int, what: str, say: Progress) -> None:
    mmdebstrap.run(args, epoch=epoch, say=say, what=f"{what}: mmdebstrap")


def rootfs_path(
    definition: BaseDefinition, cache: Cache, epoch: int, with_runtime: bool, arch: str
) -> Path:
    """`<cache>/base/rootfs/<key>.tar`: the key covers the package inputs, epoch and `arch`."""
    inputs = definition.runtime_inputs if with_runtime else definition.os_inputs
    inputs = {**inputs, "arch": arch}
    key = base_key("rootfs-runtime" if with_runtime else "rootfs-os", inputs, epoch)
    return cache.root / "base" / "rootfs" / f"{key}.tar"


def rootfs_tar(
    definition: BaseDefinition,
    cache: Cache,
    epoch: int,
    *,
    with_runtime: bool,
    say: Progress,
    arch: str,
) -> Path:
    """The cached mmdebstrap tarball of the OS run or the runtime run (made if missing)."""
    path = rootfs_path(definition, cache, epoch, with_runtime, arch)
    if path.is_file():
        return path
    key = path.stem
    what = f"{definition.name} {'runtime' if with_runtime else 'OS'} run"
    expected = "about 20 s"
    if arch != host_arch():
        what += f" ({arch}, emulated)"
        expected = "about 90 s through qemu" if with_runtime else expected
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".tmp-{os.getpid()}-{key[:12]}.tar")
    started = time.monotonic()
    say(f"{what}: mmdebstrap {definition.suite} from {definition.mirror} ({expected})")
    try:
        _run_mmdebstrap(
            mmdebstrap_args(definition, temp, with_runtime=with_runtime, arch=arch),
            epoch,
            what,
            say,
        )
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)
    say(f"{what}: done in {time.monotonic() - started:.0f} s ({path.stat().st_size / 1e6:.0f} MB)")
    return path
