"""Architectures of the base images (amd64, arm64) and running a foreign one through qemu.

Lambda runs x86_64 and arm64. A base image for the host's architecture needs nothing more;
one for the other architecture (e.g. arm64 on an x86_64 host) runs the image's own programs
at build time (dpkg's maintainer scripts under mmdebstrap, the image's Python compiling its
bytecode, both through `chroot`), so the kernel must hand that architecture's ELF binaries
to qemu: binfmt_misc with Debian's `qemu-user-static` handler, registered with the F
(fix-binary) flag so the kernel opens the interpreter once, at registration, and a chroot
into a foreign root filesystem works without a copy of qemu inside it.

Debian's qemu-user-static ships `/usr/lib/binfmt.d/qemu-<cpu>.conf` (flags `POF`), which
systemd-binfmt registers at boot, and `/usr/share/binfmts/qemu-<cpu>` for binfmt-support's
`update-binfmts`. Where neither runs (containers, VMs without an init system),
`ensure_emulation` does it: it mounts binfmt_misc when needed and writes the `.conf` line to
`/proc/sys/fs/binfmt_misc/register` (root only), then checks with `arch-test` (which
mmdebstrap also needs for foreign architectures). Every failure is a BuilderError naming the fix.
"""

from __future__ import annotations

import os
import platform as _platform
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..oci.errors import BuilderError

__all__ = [
    "ARCHES",
    "Arch",
    "arch_of_platform",
    "ensure_emulation",
    "host_arch",
    "normalize_arch",
]

BINFMT = Path("/proc/sys/fs/binfmt_misc")
BINFMT_D = Path("/usr/lib/binfmt.d")


@dataclass(frozen=True)
class Arch:
    """One target: Debian's name (also the OCI `architecture`), its OCI variant and CPU names."""

    debian: str
    variant: str | None
    cpu: str
    """`uname -m` and qemu's name: qemu-<cpu>-static, binfmt handler qemu-<cpu>."""
    elf_machine: int
    """e_machine of its ELF binaries."""


ARCHES = {
    "amd64": Arch("amd64", None, "x86_64", 0x3E),
    # OCI image-index spec and Docker: arm64 images carry variant "v8" (AWS's arm64 bases too).
    "arm64": Arch("arm64", "v8", "aarch64", 0xB7),
}
_ALIASES = {"x86_64": "amd64", "x86-64": "amd64", "aarch64": "arm64", "arm64/v8": "arm64"}


def host_arch() -> str:
    """The Debian architecture of this machine (amd64, arm64, or `uname -m` for others)."""
    machine = _platform.machine().lower()
    return _ALIASES.get(machine, machine)


def normalize_arch(name: str | None) -> str:
    """`name` as a Debian architecture in ARCHES (None: the host's); BuilderError otherwise."""
    if name is None:
        arch = host_arch()
        if arch not in ARCHES:
            raise BuilderError(f"this machine is {arch}: pass --arch amd64 or --arch arm64")
        return arch
    arch = _ALIASES.get(name.lower(), name.lower())
    if arch not in ARCHES:
        raise BuilderError(f"architecture {name!r}: Lambda runs amd64 (x86_64) or arm64")
    return arch


def arch_of_platform(platform: str) -> str | None:
    """The architecture a wheel platform tag names (manylinux2014_aarch64 -> arm64), or None."""
    for cpu, arch in (("aarch64", "arm64"), ("x86_64", "amd64")):
        if platform == cpu or platform.endswith("_" + cpu):
            return arch
    return None


def ensure_emulation(arch: str, say: Callable[[str], None]) -> None:
    """Make sure this machine can run `arch` binaries, also inside a chroot; else BuilderError.

    Nothing to do for the host's architecture. Otherwise: mount binfmt_misc if it is not,
    register Debian's qemu handler with the F flag if it is missing, and check with arch-test.
    """
    if arch == host_arch():
        return
    target = ARCHES[arch]
    handler = BINFMT / f"qemu-{target.cpu}"
    if not _handler_ready(handler):
        _register(target, handler, say)
    _check_arch_test(arch, handler)


def _handler_ready(handler: Path) -> bool:
    """True when `handler` is enabled with the F flag; BuilderError if it lacks F."""
    try:
        text = handler.read_text()
    except OSError:
        return False
    lines = text.splitlines()
    flags = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("flags:")), "")
    if "enabled" not in lines:
        raise BuilderError(
            f"the binfmt_misc handler {handler.name} is disabled: as root, "
            f"`echo 1 > {handler}` (it must also have the F flag)"
        )
    if "F" not in flags:
        raise BuilderError(
            f"the binfmt_misc handler {handler.name} lacks the F (fix-binary) flag, so it cannot "
            f"run inside a chroot: as root, `echo -1 > {handler}` and build again (lambdabox "
            f"registers Debian's qemu-user-static handler, {BINFMT_D / handler.name}.conf)"
        )
    return True


def _register(target: Arch, handler: Path, say: Callable[[str], None]) -> None:
    conf = BINFMT_D / f"{handler.name}.conf"
    if not conf.is_file():
        raise BuilderError(
            f"building {target.debian} images on this {host_arch()} machine runs {target.debian} "
            f"programs through qemu: apt-get install qemu-user-static arch-test (no {conf})"
        )
    if os.geteuid() != 0:
        raise BuilderError(
            f"registering qemu for {target.debian} with binfmt_misc needs root: as root, "
            f"`mount -t binfmt_misc binfmt_misc {BINFMT}` (if not mounted), then "
            f"`cat {conf} > {BINFMT}/register`, or build as root"
        )
    if not (BINFMT / "register").exists():
        say(f"mounting binfmt_misc on {BINFMT}")
        done = subprocess.run(
            ["mount", "-t", "binfmt_misc", "binfmt_misc", str(BINFMT)],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise BuilderError(
                f"cannot mount binfmt_misc on {BINFMT} ({done.stderr.strip()}): load the module "
                "(modprobe binfmt_misc) or, in a container, register qemu on the host"
            )
    line = next(
        (s for s in conf.read_text().splitlines() if s.startswith(":")),
        "",
    )
    say(f"registering {conf} with binfmt_misc (qemu for {target.debian})")
    try:
        (BINFMT / "register").write_text(line + "\n")
    except OSError as exc:
        if not handler.exists():  # not a concurrent build registering it first
            raise BuilderError(
                f"cannot register {conf} with binfmt_misc ({exc}); as root: "
                f"`cat {conf} > {BINFMT}/register`"
            ) from exc
    if not _handler_ready(handler):
        raise BuilderError(f"registering {conf} with binfmt_misc left no {handler}")


def _check_arch_test(arch: str, handler: Path) -> None:
    """arch-test runs a tiny static `arch` program: the end-to-end check (mmdebstrap's too)."""
    if shutil.which("arch-test") is None:
        raise BuilderError(
            f"mmdebstrap needs arch-test to build {arch} images on {host_arch()}: "
            "apt-get install arch-test"
        )
    done = subprocess.run(["arch-test", arch], capture_output=True, text=True, check=False)
    if done.returncode != 0 or done.stdout.strip() != f"{arch}: ok":
        raise BuilderError(
            f"{arch} programs do not run on this machine although {handler} is registered "
            f"({(done.stdout or done.stderr).strip()}): reinstall qemu-user-static, then "
            f"`echo -1 > {handler}` and build again"
        )
