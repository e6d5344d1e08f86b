"""Stream an Image as a `docker save` tarball, for engines that load only that format.

Docker before 25 (this machine runs 20.10) cannot `docker load` a plain OCI layout, but loads
the `docker save` format: `manifest.json` naming the config and layer files. The archive
written here is also a complete OCI layout (`oci-layout`, `index.json`, `blobs/sha256/...`), as
Docker 25+ writes, so one file serves `docker load`, `skopeo docker-archive:` and `oci-archive:`.
Layers are stored as their compressed blobs, unchanged: `docker load` decompresses them and
checks them against the config's diff_ids, and no layer is decompressed or held in memory here.
"""

from __future__ import annotations

import io
import tarfile
from collections.abc import Callable, Sequence
from typing import IO

from .digest import Digest, HashingReader, Writable
from .errors import BuilderError, LayoutError
from .image import Image
from .manifest import ANNOTATION_REF_NAME, Index
from .reproducible import DEFAULT_EPOCH, canonical_json
from .tar_stream import open_tar_stream

__all__ = ["write_docker_archive"]


def write_docker_archive(
    image: Image, out: Writable, *, tags: Sequence[str] = (), mtime: int = DEFAULT_EPOCH
) -> None:
    """Write `image` as a docker-save + OCI-layout tar stream to `out`.

    `tags` (e.g. `["my-function:latest"]`) become the archive's RepoTags; the first one is
    also the OCI ref name. With no tags, `docker load` reports the image by ID (its config
    digest, `image.config_digest`).
    """
    for tag in tags:
        if ":" not in tag.rsplit("/", 1)[-1]:
            raise BuilderError(f"tag {tag!r} needs a ':<tag>' part, e.g. {tag}:latest")
    config, manifest = image.config_bytes(), image.manifest_bytes()
    annotations = {ANNOTATION_REF_NAME: tags[0].rsplit(":", 1)[1]} if tags else {}
    index = Index((image.descriptor(annotations),)).to_json()
    docker_manifest = [
        {
            "Config": _blob_name(image.config_digest),
            "RepoTags": list(tags),
            "Layers": [_blob_name(layer.digest) for layer in image.layers],
        }
    ]
    with open_tar_stream(out) as tar:
        for folder in ("blobs", "blobs/sha256"):
            _add(tar, folder, mtime)
        written: set[Digest] = set()
        for layer in image.layers:
            if layer.digest not in written:
                written.add(layer.digest)
                _add_stream(tar, layer.open_compressed, layer.digest, layer.size, mtime)
        for data in (config, manifest):
            _add(tar, _blob_name(Digest.of(data)), mtime, data)
        _add(tar, "index.json", mtime, index)
        _add(tar, "manifest.json", mtime, canonical_json(docker_manifest))
        _add(tar, "oci-layout", mtime, canonical_json({"imageLayoutVersion": "1.0.0"}))


def _blob_name(digest: Digest) -> str:
    return f"blobs/{digest.algorithm}/{digest.hex}"


def _info(name: str, mtime: int, size: int = 0, folder: bool = False) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE if folder else tarfile.REGTYPE
    info.mode = 0o755 if folder else 0o644
    info.mtime, info.size = mtime, size
    return info


def _add(tar: tarfile.TarFile, name: str, mtime: int, data: bytes | None = None) -> None:
    if data is None:
        tar.addfile(_info(name, mtime, folder=True))
    else:
        tar.addfile(_info(name, mtime, len(data)), io.BytesIO(data))


def _add_stream(
    tar: tarfile.TarFile, opener: Callable[[], IO[bytes]], digest: Digest, size: int, mtime: int
) -> None:
    with HashingReader(opener()) as blob:
        tar.addfile(_info(_blob_name(digest), mtime, size), blob)
        if blob.read(1) or blob.digest != digest:
            raise LayoutError(f"layer {digest}: its blob changed while it was being archived")
