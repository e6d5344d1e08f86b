"""Base images (`python3.11`, `python3.13`, `python3.9`, `provided`) from Debian packages.

    from builder import Cache
    from builder.base import build_base, ensure_base

    image = build_base("python3.11", output=Path("out"), cache=Cache.default())
    layout = ensure_base("python3.11", Cache.default())   # cached OCI layout, tag "python3.11"
    arm = ensure_base("python3.11", Cache.default(), arch="arm64")   # on x86_64: through qemu

The definitions are data: `base_images/<name>/base.toml` (see `builder.base_def`). A build
never runs `docker build`; it runs mmdebstrap twice, in parallel, with SOURCE_DATE_EPOCH pinned:

1. OS layer: the definition's `layers.os.packages` (a minimal `--variant=custom` set: libc,
   dpkg, sh, coreutils, ...).
2. Runtime layer: a second run with the OS packages plus `layers.runtime.packages` (Python,
   pip); the layer holds the paths this run added or changed relative to the first run.
   A path the second run removed is an error.
3. Runtime interface layer: `/lambda-entrypoint.sh` (the AWS base-image contract),
   `/var/runtime/bootstrap`, `/var/runtime/runtime_interface` and, for Python images, the
   emulator at `/var/runtime/emulator` (outside the function's import path) behind
   `/usr/local/bin/aws-lambda-rie`, with their bytecode compiled by the image's own Python
   (`base_bytecode`: the root filesystem is read-only when functions run).

Docs, man pages, locales, info, lintian files, gconv modules, apt lists, /var/cache, /var/log
are stripped, and in Python images the stdlib's test suite, lib2to3, idlelib, tkinter,
turtledemo, pydoc_data and ensurepip, plus the bytecode of pip/setuptools (used at build time
only). The stdlib bytecode is kept, recompiled as unchecked-hash .pyc (valid whatever the file
mtimes, byte-identical across builds with PYTHONHASHSEED=0).

Architectures: amd64 and arm64 (`arch=`, default this machine's; config `architecture`, and
variant "v8" for arm64). The other one is built through qemu-user-static and binfmt_misc
(`builder.base_arch`): mmdebstrap runs the foreign maintainer scripts, and the chroots run
the foreign Python, through it.

Caching: the two mmdebstrap tarballs are kept in `<cache>/base/rootfs/<key>.tar`, keyed by
the definition's package inputs, the architecture, SOURCE_DATE_EPOCH and
`BASE_BUILDER_VERSION`; layer blobs go through the core `Cache`. A warm build reads the
tarballs and finds every blob cached. The mirror moves on, so to pick up Debian updates bump
`source_date_epoch` in base.toml (or set SOURCE_DATE_EPOCH); builds with the same key and the
same mirror content give the same digest.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import functools
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from . import mmdebstrap
from .base_arch import ensure_emulation, host_arch, normalize_arch
from .base_bytecode import bytecode_entries
from .base_def import BaseDefinition, base_names, load_definition
from .base_rootfs import diff_trees, read_rootfs_tar, rootfs_layer
from .build_layer import layer_from_entries
from .cache import Cache
from .entries import Entry
from .errors import BuilderError
from .image import Image, scratch
from .oci_layout import write_layout
from .reproducible import canonical_json, rfc3339
from .validate import validate_layout

__all__ = [
    "BASE_BUILDER_VERSION",
    "DOCKER_REPOSITORY",
    "BuildResult",
    "build_base",
    "ensure_base",
    "image_summary",
]

BASE_BUILDER_VERSION = 5
"""Part of every base cache key; bump it when the same definition would now build differently."""

DOCKER_REPOSITORY = "lambdabox/base"
"""`--load` tags images `lambdabox/base:<name>`."""

Progress = Callable[[str], None]

REPO_ROOT = Path(__file__).resolve().parent.parent

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

ENTRYPOINT_MESSAGE = "entrypoint requires the handler name to be the first argument"
ENTRYPOINT_STATUS = 142

_PYTHON_ENTRYPOINT = f"""\
#!/bin/sh
# lambdabox base image entry point, with the semantics of AWS's /lambda-entrypoint.sh:
# exactly one argument (the handler), exported as _HANDLER; without AWS_LAMBDA_RUNTIME_API
# the runtime runs under the bundled emulator (aws-lambda-rie), else it talks to that API.
# AWS_LAMBDA_RIE_ADDRESS / AWS_LAMBDA_RIE_RUNTIME_API_ADDRESS (HOST:PORT) move the emulator's
# Invoke API (default 0.0.0.0:8080) and Runtime API (default 127.0.0.1:9001).
if [ $# -ne 1 ]; then
  echo "{ENTRYPOINT_MESSAGE}" 1>&2
  exit {ENTRYPOINT_STATUS}
fi
export _HANDLER="$1"

RUNTIME_ENTRYPOINT=/var/runtime/bootstrap
if [ -z "${{AWS_LAMBDA_RUNTIME_API}}" ]; then
  set -- /usr/local/bin/aws-lambda-rie
  if [ -n "${{AWS_LAMBDA_RIE_ADDRESS}}" ]; then
    set -- "$@" --runtime-interface-emulator-address "$AWS_LAMBDA_RIE_ADDRESS"
  fi
  if [ -n "${{AWS_LAMBDA_RIE_RUNTIME_API_ADDRESS}}" ]; then
    set -- "$@" --runtime-api-address "$AWS_LAMBDA_RIE_RUNTIME_API_ADDRESS"
  fi
  exec "$@" "$RUNTIME_ENTRYPOINT"
else
  exec "$RUNTIME_ENTRYPOINT"
fi
"""

PROVIDED_NO_API_MESSAGE = (
    "AWS_LAMBDA_RUNTIME_API is not set and this image has no bundled emulator: "
    "run it with `lambdabox run IMAGE HANDLER`"
)

_PROVIDED_ENTRYPOINT = f"""\
#!/bin/sh
# lambdabox base image entry point (provided: OS only, no bundled emulator): exactly one
# argument (the handler), exported as _HANDLER; runs /var/task/bootstrap if it exists, else
# /var/runtime/bootstrap, against AWS_LAMBDA_RUNTIME_API.
if [ $# -ne 1 ]; then
  echo "{ENTRYPOINT_MESSAGE}" 1>&2
  exit {ENTRYPOINT_STATUS}
fi
export _HANDLER="$1"

if [ -z "${{AWS_LAMBDA_RUNTIME_API}}" ]; then
  echo '{PROVIDED_NO_API_MESSAGE}' 1>&2
  exit 1
fi
if [ -x "${{LAMBDA_TASK_ROOT:-/var/task}}/bootstrap" ]; then
  exec "${{LAMBDA_TASK_ROOT:-/var/task}}/bootstrap"
fi
if [ -x /var/runtime/bootstrap ]; then
  exec /var/runtime/bootstrap
fi
echo "no bootstrap: put an executable bootstrap in /var/task or /var/runtime" 1>&2
exit 1
"""


def _python_bootstrap(version: str) -> str:
    site = f"/opt/python/lib/python{version}/site-packages"
    return f"""\
#!/bin/sh
# The Python runtime: this repository's runtime_interface against AWS_LAMBDA_RUNTIME_API.
# Import path as on AWS: the function (/var/task, where `pip install --target` puts its
# dependencies), then layers (/opt/python), then the runtime. The launcher form avoids runpy.
export PYTHONPATH="${{LAMBDA_TASK_ROOT:-/var/task}}:{site}:/opt/python:/var/runtime\
${{PYTHONPATH:+:$PYTHONPATH}}"
exec /usr/bin/python3 -c 'import sys; from runtime_interface.__main__ import main; \
sys.exit(main())' "$_HANDLER"
"""


_RIE_LAUNCHER = """\
#!/bin/sh
# aws-lambda-rie drop-in: the lambdabox emulator (process mode, standard library only), run
# isolated (-I -S) from the function's import path: it sees only /var/runtime/emulator and
# /var/runtime (for runtime_interface.protocol), never /var/task or site-packages.
exec /usr/bin/python3 -I -S -c '
import argparse, sys
sys.path[:0] = ["/var/runtime/emulator", "/var/runtime"]
from lambdabox.emulator import cli
parser = argparse.ArgumentParser(prog="aws-lambda-rie", description=cli.DESCRIPTION,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
cli.add_arguments(parser)
sys.exit(cli.run(parser.parse_args()))
' "$@"
"""

# Emulator modules left out of the image: the container driver and `lambdabox run` need docker.
_EMULATOR_EXCLUDE = (  # docker-only modules: the container driver and `lambdabox run`
    "container.py",
    "container_docker.py",
    "container_extensions.py",
    "container_handle.py",
    "run_cli.py",
)


@dataclass(frozen=True)
class BuildResult:
    """What `build_base` made; `image` is written to `layout` under the tag `tag`."""

    image: Image
    layout: Path
    tag: str
    seconds: float


def _say_nothing(_line: str) -> None:
    return None


def _epoch(definition: BaseDefinition, environ: dict[str, str] | None = None) -> int:
    env = os.environ if environ is None else environ
    text = env.get("SOURCE_DATE_EPOCH", "").strip()
    if text:
        from .reproducible import source_date_epoch

        return source_date_epoch({"SOURCE_DATE_EPOCH": text})
    return definition.source_date_epoch


def _key(kind: str, inputs: object, epoch: int) -> str:
    data = {"kind": kind, "inputs": inputs, "epoch": epoch, "version": BASE_BUILDER_VERSION}
    return hashlib.sha256(canonical_json(data)).hexdigest()


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


def _run_mmdebstrap(args: list[str], epoch: int, what: str, say: Progress) -> None:
    mmdebstrap.run(args, epoch=epoch, say=say, what=f"{what}: mmdebstrap")


def _rootfs_path(
    definition: BaseDefinition, cache: Cache, epoch: int, with_runtime: bool, arch: str
) -> Path:
    """`<cache>/base/rootfs/<key>.tar`: the key covers the package inputs, epoch and `arch`."""
    inputs = definition.runtime_inputs if with_runtime else definition.os_inputs
    inputs = {**inputs, "arch": arch}
    key = _key("rootfs-runtime" if with_runtime else "rootfs-os", inputs, epoch)
    return cache.root / "base" / "rootfs" / f"{key}.tar"


def _rootfs_tar(
    definition: BaseDefinition,
    cache: Cache,
    epoch: int,
    *,
    with_runtime: bool,
    say: Progress,
    arch: str,
) -> Path:
    """The cached mmdebstrap tarball of the OS run or the runtime run (made if missing)."""
    path = _rootfs_path(definition, cache, epoch, with_runtime, arch)
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


def _source_files(package: Path, exclude: Sequence[str] = ()) -> list[Path]:
    return sorted(
        p
        for p in package.rglob("*")
        if p.is_file()
        and "__pycache__" not in p.parts
        and p.suffix in (".py", ".typed")
        and p.name not in exclude
    )


def runtime_interface_entries(definition: BaseDefinition) -> list[Entry]:
    """Layer 3: the entry point, the bootstrap, runtime_interface and (Python) the emulator."""
    entries = [Entry.directory("var/task"), Entry.directory("var/runtime")]
    if definition.python is None:
        entries.append(
            Entry.file("lambda-entrypoint.sh", _PROVIDED_ENTRYPOINT.encode(), executable=True)
        )
        return entries
    entries += [
        Entry.file("lambda-entrypoint.sh", _PYTHON_ENTRYPOINT.encode(), executable=True),
        Entry.file(
            "var/runtime/bootstrap",
            _python_bootstrap(definition.python).encode(),
            executable=True,
        ),
        Entry.file("usr/local/bin/aws-lambda-rie", _RIE_LAUNCHER.encode(), executable=True),
    ]
    ric = REPO_ROOT / "runtime_interface"
    for path in _source_files(ric):
        rel = path.relative_to(ric).as_posix()
        entries.append(
            Entry.from_file(f"var/runtime/runtime_interface/{rel}", path, executable=False)
        )
    lambdabox = REPO_ROOT / "lambdabox"
    entries.append(
        Entry.from_file(
            "var/runtime/emulator/lambdabox/__init__.py",
            lambdabox / "__init__.py",
            executable=False,
        )
    )
    emulator = lambdabox / "emulator"
    for path in _source_files(emulator, _EMULATOR_EXCLUDE):
        rel = path.relative_to(emulator).as_posix()
        entries.append(
            Entry.from_file(
                f"var/runtime/emulator/lambdabox/emulator/{rel}", path, executable=False
            )
        )
    return entries


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
    programs through qemu (`base_arch.ensure_emulation`).
    """
    say = progress or _say_nothing
    definition = load_definition(name)
    arch = normalize_arch(arch)
    epoch = _epoch(definition)
    rootfs = functools.partial(_rootfs_tar, definition, cache, epoch, say=say, arch=arch)
    runs = (False, True) if definition.runtime_packages else (False,)
    if not all(_rootfs_path(definition, cache, epoch, r, arch).is_file() for r in runs):
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


def build_base(
    name: str,
    *,
    output: Path,
    cache: Cache | None = None,
    progress: Progress | None = None,
    arch: str | None = None,
) -> Image:
    """Build the base image `name` into the OCI layout `output` (tag `name`) and return it.

    `cache` defaults to `Cache.default()` ($LAMBDABOX_CACHE). `progress` gets one line per
    long step (the mmdebstrap runs take about 20 s each, in parallel; a warm build ~2 s).
    `arch`: amd64 or arm64 (default: this machine's; another one is emulated with qemu, and
    a Python image's runtime run then takes about 90 s).
    """
    say = progress or _say_nothing
    cache = cache if cache is not None else Cache.default()
    image = build_image(name, cache=cache, progress=say, arch=arch)
    say(f"{name}: writing the OCI layout {output}")
    write_layout(Path(output), image, tag=name)
    return image


def ensure_base(
    name: str,
    cache: Cache | None = None,
    progress: Progress | None = None,
    *,
    arch: str | None = None,
) -> Path:
    """A cached OCI layout holding the base image `name` (for `arch`) under the tag `name`.

    For the function builder: `read_layout(ensure_base("python3.11", cache), "python3.11")`
    gives the base `Image` to put function layers on (`image.with_layers(...)`, then
    `with_base(f"lambdabox/base:{name}", base.digest)`). The first call builds the base (about
    half a minute; needs mmdebstrap, root and the Debian mirror); later calls return at once.
    The folder is `<cache>/base/layouts/<name>-<key>`; the key covers the definition, the
    architecture (`arch`, default this machine's), SOURCE_DATE_EPOCH, the bundled
    runtime_interface and emulator sources and `BASE_BUILDER_VERSION`, so changing any of them
    builds a new layout.
    """
    cache = cache if cache is not None else Cache.default()
    definition = load_definition(name)
    arch = normalize_arch(arch)
    sources = hashlib.sha256()
    for entry in runtime_interface_entries(definition):
        sources.update(entry.path.encode() + b"\0")
        if entry.source is not None:
            sources.update(str(entry.source.digest()).encode())
    inputs = {"definition": definition.fingerprint(), "sources": sources.hexdigest()}
    key = _key("layout", {**inputs, "arch": arch}, _epoch(definition))
    layout = cache.root / "base" / "layouts" / f"{name}-{key[:16]}"
    done = layout / ".complete"
    if done.is_file():
        return layout
    with tempfile.TemporaryDirectory(dir=_mkparent(layout), prefix=".tmp-") as tmp:
        staging = Path(tmp) / "layout"
        build_base(name, output=staging, cache=cache, progress=progress, arch=arch)
        validate_layout(staging, name)
        (staging / ".complete").write_text("ok\n")
        try:
            os.replace(staging, layout)
        except OSError:
            if not done.is_file():  # pragma: no cover - not a concurrent build finishing
                raise
    return layout


def _mkparent(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.parent


def image_summary(image: Image) -> dict[str, object]:
    """Digest, config digest, and compressed/uncompressed sizes (bytes) of `image`."""
    compressed = sum(layer.size for layer in image.layers)
    uncompressed = 0
    for layer in image.layers:
        with layer.open_uncompressed() as tar:
            while chunk := tar.read(1 << 20):
                uncompressed += len(chunk)
    return {
        "digest": str(image.digest),
        "config_digest": str(image.config_digest),
        "layers": [{"digest": str(layer.digest), "size": layer.size} for layer in image.layers],
        "compressed_size": compressed,
        "uncompressed_size": uncompressed,
    }


# --- command line (`lambdabox base ...`) --------------------------------------------------

DESCRIPTION = """\
Build the lambdabox base images from Debian packages (mmdebstrap; no Docker build):
python3.11 (bookworm), python3.13 (trixie), python3.9 (bullseye), provided (bookworm, OS
only). Definitions: base_images/<name>/base.toml. Needs root, mmdebstrap and the mirror.

examples:
  lambdabox base list
  lambdabox base build python3.11 --output out/python3.11 --load
  lambdabox base build provided --push 127.0.0.1:5000/base:provided --dest-tls-verify=false
  lambdabox base build python3.11 --arch arm64 --load   # on x86_64: qemu-user-static
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="base_command", metavar="ACTION")
    listing = sub.add_parser("list", help="list the base images")
    listing.add_argument("--json", action="store_true", help="print one JSON document")
    build = sub.add_parser("build", help="build a base image into an OCI layout")
    build.add_argument("name", help="the base image, e.g. python3.11 (see `lambdabox base list`)")
    build.add_argument("--output", type=Path, metavar="DIR", help="OCI layout (default: cached)")
    build.add_argument(
        "--arch",
        type=str.lower,
        choices=("amd64", "arm64", "x86_64", "aarch64"),
        help=f"target architecture (default: this machine's, {host_arch()}); another one runs "
        "through qemu (apt-get install qemu-user-static arch-test)",
    )
    build.add_argument(
        "--load",
        action="store_true",
        help=f"load it into Docker as {DOCKER_REPOSITORY}:NAME (NAME-ARCH for another arch)",
    )
    build.add_argument("--push", metavar="REF", help="push it with skopeo to docker://REF")
    build.add_argument(
        "--dest-tls-verify",
        choices=("true", "false"),
        default="true",
        help="verify the registry's TLS certificate on --push (false for 127.0.0.1 registries)",
    )
    build.add_argument("--json", action="store_true", help="print digests and sizes as JSON")


def run(args: argparse.Namespace) -> int:
    from lambdabox.progress import Status

    say = Status("lambdabox base")

    try:
        if args.base_command == "list":
            return _list(args)
        if args.base_command == "build":
            return _build(args, say)
    except BuilderError as exc:
        say(str(exc))
        return 1
    sys.stderr.write("lambdabox base: say `list` or `build NAME` (see --help)\n")
    return 2


def _list(args: argparse.Namespace) -> int:
    rows = []
    for name in base_names():
        definition = load_definition(name)
        rows.append(
            {
                "name": name,
                "suite": definition.suite,
                "python": definition.python,
                "description": definition.description,
            }
        )
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        for row in rows:
            print(f"{row['name']:<12} debian {row['suite']:<9} {row['description']}")
    return 0


def _build(args: argparse.Namespace, say: Any) -> int:
    started = time.monotonic()
    cache = Cache.default()
    arch = normalize_arch(args.arch)
    with say.step(f"base image {args.name} ({arch})"):
        if args.output is not None:
            image = build_base(args.name, output=args.output, cache=cache, progress=say, arch=arch)
            layout = Path(args.output)
        else:
            from .oci_layout import read_layout

            layout = ensure_base(args.name, cache, progress=say, arch=arch)
            image = read_layout(layout, args.name)
    summary: dict[str, object] = {
        "name": args.name,
        "arch": arch,
        "layout": str(layout),
        "tag": args.name,
    }
    summary.update(image_summary(image))
    summary["seconds"] = round(time.monotonic() - started, 1)
    if args.load:
        with say.step("loading into Docker"):
            suffix = "" if arch == host_arch() else f"-{arch}"
            tag = f"{DOCKER_REPOSITORY}:{args.name}{suffix}"
            summary["loaded"] = load_into_docker(image, tag, say)
    if args.push:
        with say.step(f"pushing to {args.push}"):
            tls = args.dest_tls_verify == "true"
            summary["pushed"] = push(layout, args.name, args.push, tls, say)
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(
            f"{args.name} ({arch}): {summary['digest']} in {layout} (tag {args.name}); "
            f"{int(str(summary['compressed_size'])) / 1e6:.1f} MB compressed, "
            f"{int(str(summary['uncompressed_size'])) / 1e6:.1f} MB uncompressed"
        )
    return 0


def load_into_docker(image: Image, tag: str, say: Progress) -> str:
    """`docker load` the image as `tag` (through a docker-archive); returns the image ID."""
    from .docker_archive import write_docker_archive

    say(f"loading into Docker as {tag}")
    with tempfile.TemporaryFile() as archive:
        write_docker_archive(image, archive, tags=[tag])
        archive.seek(0)
        try:
            import docker  # type: ignore[import-untyped]

            client = docker.from_env()
        except Exception as exc:  # docker missing or no daemon
            raise BuilderError(f"cannot reach the Docker daemon for --load: {exc}") from exc
        try:
            client.images.load(archive)
        except docker.errors.DockerException as exc:
            raise BuilderError(f"docker load failed: {exc}") from exc
        finally:
            client.close()
    return str(image.config_digest)


def push(layout: Path, tag: str, ref: str, tls_verify: bool, say: Progress) -> str:
    """`skopeo copy oci:LAYOUT:TAG docker://REF`; returns the pushed manifest digest."""
    if shutil.which("skopeo") is None:
        raise BuilderError("skopeo is not installed: apt-get install skopeo")
    say(f"pushing to docker://{ref}")
    with tempfile.TemporaryDirectory() as tmp:
        digest_file = Path(tmp) / "digest"
        command = [
            "skopeo",
            "copy",
            "--preserve-digests",
            f"--dest-tls-verify={'true' if tls_verify else 'false'}",
            "--digestfile",
            str(digest_file),
            f"oci:{layout}:{tag}",
            f"docker://{ref}",
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise BuilderError(f"skopeo copy failed: {done.stderr.strip() or done.stdout.strip()}")
        return digest_file.read_text().strip()
