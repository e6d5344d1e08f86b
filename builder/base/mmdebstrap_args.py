"""The mmdebstrap command lines of a base image definition: the OS run and the runtime run.

Both runs use `--variant=custom` with the definition's OS packages, the same dpkg path
excludes (docs, man pages, locales, ... but the licences are kept) and the same final strip
(`STRIP`: /var/cache, /var/log, apt lists, ...), so the paths the two runs share agree. The
runtime run adds the runtime packages (installed by the host's apt into the chroot), and for
Python images excludes the test extension modules and `nis` with its libraries, removes the
stdlib's test suite and friends (`PYTHON_STRIP`) and the shipped bytecode, and recompiles the
stdlib as unchecked-hash .pyc with PYTHONHASHSEED=0. `builder.base.mmdebstrap` runs the command.
"""

from __future__ import annotations

from pathlib import Path

from .arch import host_arch
from .definition import BaseDefinition

__all__ = [
    "PATH_EXCLUDES",
    "PATH_INCLUDES",
    "PYTHON_PATH_EXCLUDES",
    "PYTHON_STRIP",
    "STRIP",
    "mmdebstrap_args",
]

PATH_EXCLUDES = (
    "/usr/share/doc/*",
    "/usr/share/man/*",
    "/usr/share/info/*",
    "/usr/share/locale/*",
    "/usr/share/i18n/*",
    "/usr/share/lintian/*",
    "/usr/share/linda/*",
    "/usr/share/bug/*",
    "/usr/lib/x86_64-linux-gnu/gconv/*",  # iconv modules; nothing in the images uses them
    "/usr/lib/aarch64-linux-gnu/gconv/*",
)
PATH_INCLUDES = ("/usr/share/doc/*/copyright",)  # keep the licences

# Removed after installation (shell globs under the root; both runs, so the OS paths agree).
STRIP = (
    "var/cache/*",
    "var/log/*",
    "var/lib/apt/lists/*",
    "var/lib/dpkg/*-old",
    "var/lib/dpkg/info/*.md5sums",  # integrity lists for `dpkg --verify`; not used at run time
    "usr/bin/openssl",  # the CLI (pulled in by ca-certificates' setup); the libraries stay
    "etc/resolv.conf",  # the host's, copied in by mmdebstrap
    "etc/hostname",
)
# Python images only (the runtime run): never installed. The test extension modules; the
# pip's own CA bundle (Debian's pip uses
# /etc/ssl/certs); and the `nis` module with the libraries only it loads (libnsl, libtirpc,
# Kerberos), which together cost 0.8 MB compressed. `import nis` fails; nothing else changes.
PYTHON_PATH_EXCLUDES = (
    "/usr/lib/python3*/lib-dynload/_test*",
    "/usr/lib/python3*/lib-dynload/_ctypes_test*",
    "/usr/lib/python3*/lib-dynload/_xxtestfuzz*",
    "/usr/lib/python3*/lib-dynload/xxlimited*",
    "/usr/lib/python3*/lib-dynload/nis.*",
    "/usr/lib/python3/dist-packages/pip/_vendor/certifi/cacert.pem",
    "/usr/lib/*-linux-gnu/libnsl.so.2*",
    "/usr/lib/*-linux-gnu/libtirpc.so*",
    "/usr/lib/*-linux-gnu/libgssapi_krb5.so*",
    "/usr/lib/*-linux-gnu/libkrb5.so*",
    "/usr/lib/*-linux-gnu/libkrb5support.so*",
    "/usr/lib/*-linux-gnu/libk5crypto.so*",
)
PYTHON_STRIP = ("test", "lib2to3", "idlelib", "tkinter", "turtledemo", "pydoc_data", "ensurepip")


def mmdebstrap_args(
    definition: BaseDefinition, output: Path, *, with_runtime: bool, arch: str | None = None
) -> list[str]:
    """The mmdebstrap command line of the OS run or (`with_runtime`) the runtime run."""
    args = [
        "mmdebstrap",
        "--variant=custom",
        f"--architectures={arch or host_arch()}",
        "--include=" + ",".join(definition.os_packages),
        "--skip=output/dev",
        '--aptopt=Acquire::Languages "none"',
        '--aptopt=APT::Install-Recommends "false"',
    ]
    if definition.merged_usr:
        args.append("--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr")
    args += [f"--dpkgopt=path-exclude={p}" for p in PATH_EXCLUDES]
    if with_runtime and definition.python:
        args += [f"--dpkgopt=path-exclude={p}" for p in PYTHON_PATH_EXCLUDES]
    args += [f"--dpkgopt=path-include={p}" for p in PATH_INCLUDES]
    if with_runtime and definition.runtime_packages:
        # Installed by the host's apt into the chroot, after the OS set is configured (apt
        # does not resolve Essential packages such as perl-base: list them explicitly).
        packages = " ".join(definition.runtime_packages)
        args.append(
            '--customize-hook=APT_CONFIG="$MMDEBSTRAP_APT_CONFIG" apt-get --yes '
            f'-oDPkg::Chroot-Directory="$1" install {packages}'
        )
    if with_runtime and definition.python:
        lib = f"/usr/lib/python{definition.python}"
        doomed = " ".join(f'"$1"{lib}/{name}' for name in PYTHON_STRIP)
        args += [
            f'--customize-hook=rm -rf {doomed} "$1"{lib}/turtle.py "$1"{lib}/_pydecimal.py',
            '--customize-hook=find "$1"/usr/lib/python3 -name __pycache__ -prune -exec rm -rf {} +',
            '--customize-hook=find "$1"' + lib + " -name __pycache__ -prune -exec rm -rf {} +",
            '--customize-hook=chroot "$1" env PYTHONHASHSEED=0 /usr/bin/python3 -m compileall'
            f" -q -j0 --invalidation-mode unchecked-hash {lib}",
        ]
    strip = " ".join(f'"$1"/{pattern}' for pattern in STRIP)
    args += [
        f"--customize-hook=rm -rf {strip}",
        definition.suite,
        str(output),
        definition.mirror,
    ]
    return args
