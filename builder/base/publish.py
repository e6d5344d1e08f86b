"""Copying a built base image out: `docker load` (`load_into_docker`) and `skopeo copy` (`push`).

`lambdabox base build --load` tags images `DOCKER_REPOSITORY:NAME` (NAME-ARCH for an
architecture other than this machine's); `--push REF` copies the OCI layout to
`docker://REF` with its digests preserved.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from ..oci.errors import BuilderError
from ..oci.image import Image

__all__ = ["DOCKER_REPOSITORY", "load_into_docker", "push"]

DOCKER_REPOSITORY = "lambdabox/base"
"""`--load` tags images `lambdabox/base:<name>`."""

Progress = Callable[[str], None]


def load_into_docker(image: Image, tag: str, say: Progress) -> str:
    """`docker load` the image as `tag` (through a docker-archive); returns the image ID."""
    from ..oci.docker_archive import write_docker_archive

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
