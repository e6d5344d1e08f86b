"""Export through skopeo: `skopeo copy oci:<layout>:<tag> <destination>`.

Destinations are skopeo transports: `docker-daemon:name:tag`, `docker://registry/repo:tag`,
`docker-archive:path.tar[:name:tag]`, `oci-archive:path.tar[:tag]` (and any other skopeo
knows). Pushes keep the manifest byte for byte (`--preserve-digests`), so the digest in the
registry is the layout's; registries on 127.0.0.1/localhost are spoken to without TLS.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

from ._errors import ExportError, tail

__all__ = ["SkopeoExporter"]

Runner = Callable[[Sequence[str]], "subprocess.CompletedProcess[str]"]
_LOCAL_REGISTRIES = ("127.0.0.1", "localhost", "[::1]")
_FIXES = {
    "docker-daemon": "is the Docker daemon running and may this user use it "
    "(docker version)? The image name needs a tag: docker-daemon:NAME:TAG",
    "docker": "check the registry address and that it answers, log in with "
    "`skopeo login REGISTRY` if it needs credentials, and pass a tag or digest",
    "docker-archive": "check that the folder of the archive exists and is writable",
    "oci-archive": "check that the folder of the archive exists and is writable",
}


def _run(argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), capture_output=True, text=True, check=False)


def _is_local_registry(destination: str) -> bool:
    host = destination.removeprefix("docker://").split("/", 1)[0]
    name = host.rsplit(":", 1)[0] if not host.startswith("[") else host.split("]")[0] + "]"
    return name in _LOCAL_REGISTRIES


class SkopeoExporter:
    """Runs skopeo through `run(argv) -> CompletedProcess` (default: subprocess.run)."""

    def __init__(self, run: Runner = _run, *, skopeo: str = "skopeo") -> None:
        self.run = run
        self.skopeo = skopeo

    def argv(self, layout: Path, tag: str, destination: str) -> list[str]:
        transport = destination.split(":", 1)[0]
        if ":" not in destination or transport not in (*_FIXES, "oci", "dir"):
            raise ExportError(
                "skopeo",
                [],
                None,
                "",
                f"destination {destination!r} needs a transport: docker-daemon:NAME:TAG, "
                "docker://REGISTRY/REPO:TAG, docker-archive:PATH or oci-archive:PATH",
            )
        argv = [self.skopeo, "copy", "--quiet"]
        if transport == "docker":
            argv.append("--preserve-digests")
            if _is_local_registry(destination):
                argv.append("--dest-tls-verify=false")
        return [*argv, f"oci:{layout}:{tag}", destination]

    def export(self, layout: Path, tag: str, destination: str) -> None:
        argv = self.argv(layout, tag, destination)
        if shutil.which(argv[0]) is None and self.run is _run:
            raise ExportError(
                "skopeo", argv, None, "", "skopeo is not installed: apt-get install skopeo"
            )
        try:
            done = self.run(argv)
        except OSError as exc:
            raise ExportError("skopeo", argv, None, str(exc), "is skopeo installed?") from exc
        if done.returncode != 0:
            transport = destination.split(":", 1)[0]
            raise ExportError(
                "skopeo", argv, done.returncode, tail(done.stderr or ""), _FIXES.get(transport, "")
            )
