"""The dependency layer: `pip install --target` for the Lambda platform, on the host, cached.

No container runs: the host's pip downloads wheels built for the target (`--platform`,
`--python-version`, `--implementation cp`, `--only-binary=:all:`) into a temp folder, which
becomes one layer at /var/task. The layer is cached under a key over the requirements file's
bytes, the Python version, the platform tags, pip's version and any extra pip arguments, so an
unchanged requirements file costs one cache lookup and pip is not run at all.

`pip_cleanup.clean_install` makes pip's output deterministic (the core does the timestamps
and the ordering), and `bytecode` adds the `.pyc` files. A requirement with no wheel is an
error naming it, unless the caller passes `build_sdist` (`--build-sdists`: `sdists`
builds the wheel inside the base image, and the install runs again with it). A requirements
file without pinned versions is still resolved at cache-fill time: pin them (`pkg==1.2.3`)
for reproducible dependency layers.
"""

from __future__ import annotations

import hashlib
import importlib
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..layers.build import FORMAT_VERSION
from ..layers.cache import Cache
from ..layers.entries import Entry, normalize
from ..layers.tarball import write_layer_blob
from ..layers.tree import IgnoreRules, entries_from_tree
from ..oci.config import History
from ..oci.errors import BuilderError
from ..oci.layer import BlobLayer
from ..oci.reproducible import DEFAULT_EPOCH, GZIP_LEVEL, canonical_json, rfc3339

if TYPE_CHECKING:
    import subprocess

# subprocess, tempfile, shutil and the pip clean-up are imported where pip runs: a build
# whose dependency layer is cached (a code-only change) never loads them.

__all__ = [
    "DEFAULT_PIP",
    "DependencySpec",
    "SdistBuild",
    "SdistOnlyError",
    "dependency_layer",
    "dependency_layer_key",
    "install_dependencies",
    "platform_tags",
]

Runner = Callable[[Sequence[str]], "subprocess.CompletedProcess[str]"]
SdistBuild = Callable[[str], Path]
"""Builds a wheel from a requirement's sdist; returns the folder holding it (`sdists`)."""
DEFAULT_PIP: tuple[str, ...] = (sys.executable, "-m", "pip")
_NO_WHEEL = re.compile(r"(?:satisfies the requirement|matching distribution found for) ([^\s;]+)")
_REQUIREMENT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


class SdistOnlyError(BuilderError):
    """pip found no wheel of `package` for the target; it may ship only a source distribution."""

    def __init__(self, package: str, target: str, pip_tail: str) -> None:
        self.package = package
        self.pip_tail = pip_tail
        super().__init__(
            f"no wheel of {package!r} for {target}: it is probably available only as a source "
            f"distribution (sdist), and builds install wheels only (--only-binary=:all:). "
            f"Pin a version of {package} that ships a wheel for this platform, replace it, or "
            f"opt in with --build-sdists (builds the wheel inside the base image). "
            f"pip said:\n{pip_tail}"
        )


def platform_tags(platform: str) -> tuple[str, ...]:
    """The pip `--platform` tags for `platform`; manylinux2014 also means manylinux_2_17/_2_28.

    Note: manylinux_2_28 wheels need glibc 2.28; Lambda's Amazon Linux 2 runtimes have 2.26.
    """
    match = re.fullmatch(r"manylinux2014_(x86_64|aarch64)", platform)
    if match is None:
        return (platform,)
    arch = match.group(1)
    return (platform, f"manylinux_2_17_{arch}", f"manylinux_2_28_{arch}")


@dataclass(frozen=True)
class DependencySpec:
    """What the dependency layer is built from; `key()` is its cache key."""

    requirements: Path
    python_version: str = "3.11"
    platform: str = "manylinux2014_x86_64"
    pip: tuple[str, ...] = DEFAULT_PIP
    pip_args: tuple[str, ...] = ()
    """Extra pip arguments, e.g. `("--no-index", "--find-links", "wheels/")`."""
    sdist_key: str = ""
    """With --build-sdists: what built wheels depend on (the base image), else empty."""
    bytecode: bool = True
    """Compile `.pyc` files when this interpreter has the target's format (`bytecode`)."""

    def pip_version(self) -> str:
        if self.pip == DEFAULT_PIP:
            # pip/__init__.py is two lines; importlib.metadata would cost ~8 ms per build
            return str(importlib.import_module("pip").__version__)
        import subprocess

        done = subprocess.run([*self.pip, "--version"], capture_output=True, text=True, check=False)
        return done.stdout.split(" from ")[0].strip() or "unknown"

    def key(self) -> str:
        try:
            requirements = self.requirements.read_bytes()
        except OSError as exc:
            raise BuilderError(f"cannot read the requirements file: {exc}") from exc
        inputs = {
            "kind": "lambdabox-dependencies",
            "format": FORMAT_VERSION,
            "requirements": hashlib.sha256(requirements).hexdigest(),
            "python": self.python_version,
            "platform": list(platform_tags(self.platform)),
            "pip": self.pip_version(),
            "pip_args": list(self.pip_args),
            **({"sdists": self.sdist_key} if self.sdist_key else {}),
            "bytecode": self.bytecode_tag(),
        }
        return hashlib.sha256(canonical_json(inputs)).hexdigest()

    def bytecode_tag(self) -> str:
        """The bytecode format compiled into the layer ("" for none)."""
        from ..layers.bytecode import bytecode_tag

        return bytecode_tag(self.python_version) if self.bytecode else ""

    def argv(self, target: Path, find_links: Sequence[Path] = ()) -> list[str]:
        argv = [*self.pip, "install", "--target", str(target), "--no-compile"]
        for folder in find_links:
            argv += ["--find-links", str(folder)]
        for tag in platform_tags(self.platform):
            argv += ["--platform", tag]
        argv += ["--python-version", self.python_version, "--implementation", "cp"]
        argv += ["--only-binary=:all:", "--disable-pip-version-check", "--no-input"]
        return [*argv, *self.pip_args, "--requirement", str(self.requirements)]


def _run(argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
    import subprocess

    return subprocess.run(list(argv), capture_output=True, text=True, check=False)


def install_dependencies(
    spec: DependencySpec,
    target: Path,
    *,
    run: Runner = _run,
    build_sdist: SdistBuild | None = None,
    prefix: str = "/var/task",
) -> None:
    """pip-install `spec` into `target` and make the result deterministic (see module doc);
    then compile its bytecode for `prefix` when `spec.bytecode_tag()` says so.

    With `build_sdist`, each requirement pip finds no wheel of is built into a wheel by it
    and the install runs again with that wheel's folder as `--find-links`.
    """
    target_desc = f"CPython {spec.python_version} on {spec.platform}"
    built: dict[str, Path] = {}
    while True:
        done = run(spec.argv(target, list(built.values())))
        if done.returncode == 0:
            break
        tail = "\n".join((done.stderr or done.stdout or "").strip().splitlines()[-8:])
        match = _NO_WHEEL.search(done.stderr or "")
        if match is None:
            raise BuilderError(
                f"pip install of {spec.requirements} failed (exit status {done.returncode}); "
                f"fix the requirements file or the network access to the index:\n{tail}"
            )
        requirement = match.group(1)
        name = _REQUIREMENT_NAME.match(requirement)
        package = name.group(0) if name else requirement
        if build_sdist is None:
            raise SdistOnlyError(package, target_desc, tail)
        if requirement in built:
            wheels = ", ".join(sorted(p.name for p in built[requirement].glob("*.whl")))
            raise BuilderError(
                f"the wheel built from the sdist of {package!r} ({wheels}) does not install "
                f"for {target_desc}: it was built for the base image's own Python and "
                f"platform; build for that platform, or pin a version with a wheel. "
                f"pip said:\n{tail}"
            )
        built[requirement] = build_sdist(requirement)
        _empty(target)
    from ..layers.bytecode import compile_tree
    from .pip_cleanup import clean_install

    clean_install(target)
    if spec.bytecode_tag():
        compile_tree(target, prefix)


def _empty(folder: Path) -> None:
    import shutil

    for path in folder.iterdir():
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()


def dependency_layer_key(spec: DependencySpec, *, opaque: bool) -> str:
    """The layer cache key of the dependency layer of `spec` (see `dependency_layer`)."""
    return hashlib.sha256(f"{spec.key()} opaque={opaque}".encode()).hexdigest()


def dependency_layer(
    spec: DependencySpec,
    *,
    cache: Cache,
    run: Runner = _run,
    build_sdist: SdistBuild | None = None,
    mtime: int = DEFAULT_EPOCH,
    prefix: str = "/var/task",
    opaque: bool = False,
) -> tuple[BlobLayer, bool]:
    """The dependency layer at `prefix` and whether it came from the cache (pip not run).

    `opaque` adds an opaque whiteout, so the layer hides what lower layers have at `prefix`.
    """
    key = dependency_layer_key(spec, opaque=opaque)
    history = History(
        f"lambdabox: pip install -r {spec.requirements.name} "
        f"(cp{spec.python_version}, {spec.platform}) at {prefix}",
        "dependencies",
        rfc3339(mtime),
    )
    blob = cache.lookup(key)
    cached = blob is not None
    if blob is None:
        import tempfile

        with tempfile.TemporaryDirectory(prefix="lambdabox-pip-") as temp:
            target = Path(temp) / "target"
            target.mkdir()
            install_dependencies(spec, target, run=run, build_sdist=build_sdist, prefix=prefix)
            entries = entries_from_tree(target, IgnoreRules(()))  # pip's own pycs are gone
            if opaque:
                entries.append(Entry.file(".wh..wh..opq", b""))
            placed = normalize(entries, prefix)
            blob = cache.store(
                key,
                lambda out: write_layer_blob(placed, out, mtime=mtime, compresslevel=GZIP_LEVEL),
            )
    layer = BlobLayer(
        cache.blob_path(blob.digest),
        blob.media_type,
        history,
        known_digest=blob.digest,
        known_size=blob.size,
        known_diff_id=blob.diff_id,
    )
    return layer, cached
