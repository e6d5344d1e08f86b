"""Bytecode for /var/runtime, compiled by the base image's own Python.

Functions run on a read-only root filesystem, where Python cannot write `__pycache__`: without
shipped bytecode, every cold start compiles the runtime interface client again (about 14 ms
of the client's 16 ms import). So the Python bases carry `.pyc` files next to the sources in
/var/runtime, compiled as unchecked-hash pycs (valid whatever the file mtimes, as the stdlib's
are) with PYTHONHASHSEED=0, which makes them byte-identical across builds.

The compiler must be the image's Python (each version has its own bytecode), so the cached
runtime rootfs tarball is unpacked into a temp folder, the sources are written where the
image has them, and `chroot DIR /usr/bin/python3 -m compileall` compiles them; as for the
mmdebstrap runs, that needs root (and, for an image of another architecture, qemu through
binfmt_misc: `arch.ensure_emulation`). The result is cached under
`<cache>/base/bytecode/<key>/`, keyed by the architecture, the rootfs tarball (named by its
own key) and the sources' digests, so a warm base build does not unpack anything.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from ..layers.bytecode import COMPILE_ENV, compile_argv
from ..layers.cache import Cache
from ..layers.entries import Entry
from ..oci.errors import BuilderError
from .arch import ensure_emulation, host_arch

__all__ = ["bytecode_entries"]

ROOT = "var/runtime"


BYTECODE_VERSION = 3
"""Part of the bytecode's and the base layouts' cache keys: bump it when compiling changes."""


def _key(entries: Sequence[Entry], rootfs_tar: Path, arch: str) -> str:
    digest = hashlib.sha256(f"bytecode-{BYTECODE_VERSION} {arch} {rootfs_tar.name}\0".encode())
    for entry in entries:
        if entry.source is not None:
            digest.update(f"{entry.path}\0{entry.source.digest()}\0".encode())
    return digest.hexdigest()


def bytecode_entries(
    entries: Sequence[Entry],
    rootfs_tar: Path,
    *,
    cache: Cache,
    say: Callable[[str], None],
    arch: str | None = None,
) -> list[Entry]:
    """`__pycache__` entries for the `.py` files of `entries` under /var/runtime.

    `rootfs_tar` holds a root filesystem of `arch` (default: this machine's architecture).
    """
    arch = arch or host_arch()
    sources = [e for e in entries if e.path.startswith(ROOT + "/") and e.path.endswith(".py")]
    if not sources:
        return []
    folder = cache.root / "base" / "bytecode" / _key(sources, rootfs_tar, arch)
    if not (folder / ".complete").is_file():
        ensure_emulation(arch, say)
        say(f"runtime interface: compiling /var/runtime with the image's Python ({arch})")
        folder.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=folder.parent, prefix=".tmp-") as temp:
            staging = Path(temp) / "out"
            _compile(sources, rootfs_tar, staging, Path(temp) / "root")
            (staging / ".complete").write_text("ok\n")
            if folder.exists():
                shutil.rmtree(folder)
            os.replace(staging, folder)
    found = sorted(p for p in folder.rglob("*.pyc") if p.is_file())
    return [Entry.from_file(p.relative_to(folder).as_posix(), p, executable=False) for p in found]


def _compile(sources: Sequence[Entry], rootfs_tar: Path, out: Path, root: Path) -> None:
    root.mkdir()
    with tarfile.open(rootfs_tar, "r:") as tar:  # made by us: absolute symlinks are the OS's
        members = [m for m in tar if not m.isdev()]
        if hasattr(tarfile, "fully_trusted_filter"):
            tar.extractall(root, members=members, filter="fully_trusted")
        else:  # Python before 3.9.17/3.10.12/3.11.4
            tar.extractall(root, members=members)
    for entry in sources:
        assert entry.source is not None
        path = root / entry.path
        path.parent.mkdir(parents=True, exist_ok=True)
        with entry.source.open() as data:
            path.write_bytes(data.read())
    chroot = shutil.which("chroot") or "/usr/sbin/chroot"
    where = "/" + ROOT
    argv = [chroot, str(root), *compile_argv("/usr/bin/python3", where, where, "UNCHECKED_HASH")]
    env = {"PATH": "/usr/bin:/bin", **COMPILE_ENV}
    done = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise BuilderError(
            f"compiling /var/runtime with the image's Python failed (exit status "
            f"{done.returncode}; chroot needs root, as mmdebstrap does): "
            f"{(done.stderr or done.stdout).strip()[-1500:]}"
        )
    for pyc in sorted((root / ROOT).rglob("*.pyc")):
        target = out / pyc.relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(pyc, target)
