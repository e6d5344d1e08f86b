"""`--build-sdists`: wheels of source-only requirements, built inside the base image.

Dependencies are installed on the host as wheels for the target (`dependencies`). When pip
finds no wheel of a requirement and the user opted in, `SdistBuilder(requirement)` runs

    python3 -m pip wheel --no-deps --wheel-dir /wheels REQUIREMENT

in a container of the base image itself (same Python, same libc as the function), and
returns the folder holding the wheel; the host install then runs again with that folder as
`--find-links`. The container (`containers.DockerContainers`) is hardened like the
emulator's, with host networking: the index is reached as the host reaches it.

What reaches the container's pip: the index options among the build's pip arguments
(`--index-url`, `--extra-index-url`, `--trusted-host`, `--no-index`, `--pre`, and
`--find-links`, whose local folders are mounted read-only), the `PIP_INDEX_URL`-style and
proxy variables, and the host's CA bundle (`PIP_CERT`, `REQUESTS_CA_BUNDLE` or
`SSL_CERT_FILE`), mounted read-only, for networks that intercept TLS. Built wheels are cached
per base image and requirement under `<cache>/sdist-wheels/`, pip's own cache under
`<cache>/pip-container/`. Base images have no compiler: sdists with C extensions fail with a
message saying so.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from ..layers.cache import Cache
from ..oci.errors import BuilderError
from ..oci.image import Image
from ..oci.reproducible import canonical_json
from .containers import ContainerPort, Mount

__all__ = ["SdistBuilder", "container_pip_options"]

WHEELS = "/wheels"
_LINKS = "/run/lambdabox/find-links"
_CA = "/run/lambdabox/ca.pem"
_PASSED_OPTIONS = {
    "--index-url": "--index-url",
    "-i": "--index-url",
    "--extra-index-url": "--extra-index-url",
    "--trusted-host": "--trusted-host",
    "--find-links": "--find-links",
    "-f": "--find-links",
}
_PASSED_FLAGS = ("--no-index", "--pre")
_PASSED_ENV = (
    "PIP_INDEX_URL",
    "PIP_EXTRA_INDEX_URL",
    "PIP_TRUSTED_HOST",
    "PIP_NO_INDEX",
    "PIP_DEFAULT_TIMEOUT",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
)
_CA_ENV = ("PIP_CERT", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE")
_NEEDS_COMPILER = re.compile(r"gcc|cc1|compiler|Python\.h|x86_64-linux-gnu-|aarch64-linux-gnu-")


def container_pip_options(
    pip_args: Sequence[str], environ: Mapping[str, str]
) -> tuple[list[str], list[Mount], dict[str, str]]:
    """What of the host's pip settings the container's pip gets: options, mounts, env."""
    options: list[str] = []
    mounts: list[Mount] = []
    args = list(pip_args)
    while args:
        arg = args.pop(0)
        name, _, value = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        if name in _PASSED_FLAGS:
            options.append(name)
            continue
        if name not in _PASSED_OPTIONS:
            continue
        if not value and args:
            value = args.pop(0)
        option = _PASSED_OPTIONS[name]
        if option == "--find-links" and "://" not in value:
            folder = Path(value).resolve()
            if not folder.is_dir():
                continue
            target = f"{_LINKS}/{len(mounts)}"
            mounts.append(Mount(folder, target))
            value = target
        options += [option, value]
    env = {key: environ[key] for key in _PASSED_ENV if environ.get(key)}
    for key in _CA_ENV:
        bundle = environ.get(key, "")
        if bundle and Path(bundle).is_file():
            mounts.append(Mount(Path(bundle).resolve(), _CA))
            env["PIP_CERT"] = _CA
            break
    return options, mounts, env


class SdistBuilder:
    """Builds wheels from sdists inside `base` (callable: requirement -> folder of wheels)."""

    def __init__(
        self,
        base: Image,
        *,
        cache: Cache,
        pip_args: Sequence[str] = (),
        environ: Mapping[str, str] | None = None,
        containers: ContainerPort | None = None,
        say: Callable[[str], None] | None = None,
        base_name: str = "",
    ) -> None:
        self.base = base
        self.cache = cache
        self.options, self.mounts, self.env = container_pip_options(
            pip_args, os.environ if environ is None else environ
        )
        if containers is None:
            from .containers import DockerContainers

            containers = DockerContainers()
        self.containers = containers
        self.say = say or (lambda _line: None)
        self.base_name = base_name or base.digest.short

    def key(self) -> str:
        """What the built wheels depend on besides the requirement: part of the layer's key."""
        return f"{self.base.digest} {' '.join(self.options)}"

    def __call__(self, requirement: str) -> Path:
        inputs = {"base": str(self.base.digest), "requirement": requirement, "pip": self.options}
        key = hashlib.sha256(canonical_json(inputs)).hexdigest()
        folder = self.cache.root / "sdist-wheels" / key
        if any(folder.glob("*.whl")):
            self.say(f"wheel of {requirement} built from its sdist earlier (cached)")
            return folder
        folder.parent.mkdir(parents=True, exist_ok=True)
        pip_cache = self.cache.root / "pip-container"
        pip_cache.mkdir(parents=True, exist_ok=True)
        self.say(f"building a wheel of {requirement} from its sdist in {self.base_name}")
        with tempfile.TemporaryDirectory(dir=folder.parent, prefix=".tmp-") as temp:
            staging = Path(temp) / "wheels"
            staging.mkdir()
            argv = ["python3", "-m", "pip", "wheel", "--no-deps", "--wheel-dir", WHEELS]
            argv += ["--disable-pip-version-check", "--no-input", "--progress-bar", "off"]
            argv += [*self.options, requirement]
            mounts = [
                *self.mounts,
                Mount(staging, WHEELS, False),
                Mount(pip_cache, "/pip-cache", False),
            ]
            env = {**self.env, "HOME": "/tmp", "PIP_CACHE_DIR": "/pip-cache"}
            status, output = self.containers.run(self.base, argv, mounts=mounts, env=env)
            wheels = sorted(staging.glob("*.whl"))
            if status != 0 or not wheels:
                raise BuilderError(_failure(requirement, status, output))
            if folder.exists():
                shutil.rmtree(folder)
            os.replace(staging, folder)
        self.say(f"built {', '.join(w.name for w in sorted(folder.glob('*.whl')))}")
        return folder


def _failure(requirement: str, status: int, output: str) -> str:
    tail = "\n".join(output.strip().splitlines()[-12:])
    if _NEEDS_COMPILER.search(output):
        fix = (
            "it needs a C compiler or headers, which base images do not have: build its wheel "
            "in an image with build tools (pip wheel) and pass the folder with "
            "--pip-arg=--find-links=DIR"
        )
    else:
        fix = "check the requirement and that the index is reachable from the host network"
    return (
        f"building a wheel of {requirement} from its sdist inside the base image failed "
        f"(exit status {status}): {fix}. pip said:\n{tail}"
    )
