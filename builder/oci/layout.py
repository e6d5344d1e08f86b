"""OCI image layouts on disk: write an Image atomically and idempotently, read one back.

    <layout>/oci-layout           {"imageLayoutVersion":"1.0.0"}
    <layout>/index.json           a descriptor per tag (annotation ...image.ref.name)
    <layout>/blobs/sha256/<hex>   manifests, configs and layers, named by their digest

Writes are ordered so that a killed writer never leaves an index pointing at a missing or
partial blob: every file goes to a temp name in its own folder, is fsynced and renamed; blobs
first (layers, config, manifest), `index.json` last. A blob already present at the right size
is kept (hashed too when `verify=True`). Blobs read back are checked against their digest.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import IO

from . import media_types
from ._atomic import TempFile, atomic_write, fsync_folder
from .config import History, ImageConfig
from .digest import Digest, copy_hashed, hash_file
from .errors import BuilderError, LayoutError
from .image import Image
from .layer import BlobLayer
from .manifest import ANNOTATION_REF_NAME, Descriptor, Index, Manifest
from .reproducible import canonical_json

__all__ = ["blob_path", "read_blob", "read_layout", "write_layout"]

LAYOUT_FILE = "oci-layout"
INDEX_FILE = "index.json"
_LAYOUT_JSON = canonical_json({"imageLayoutVersion": "1.0.0"})
_COMPONENT = r"[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*"
_REF_NAME = re.compile(rf"{_COMPONENT}(?:/{_COMPONENT})*")  # image-spec annotations.md


def blob_path(layout: Path, digest: Digest) -> Path:
    return Path(layout) / "blobs" / digest.algorithm / digest.hex


def write_layout(
    layout: Path, image: Image, *, tag: str = "latest", verify: bool = False
) -> Descriptor:
    """Write `image` into the layout folder `layout` (created if needed) under `tag`.

    Other tags already in the layout are kept; an existing `tag` now points at `image`.
    Returns the manifest descriptor added to index.json.
    """
    root = Path(layout)
    if not _REF_NAME.fullmatch(tag):
        raise LayoutError(f"tag {tag!r} is not a valid ref name: use letters, digits and -._:@+/")
    index = _read_index(root) if (root / INDEX_FILE).exists() else Index()
    blobs = root / "blobs" / "sha256"
    blobs.mkdir(parents=True, exist_ok=True)
    if not _layout_file_ok(root):
        atomic_write(root / LAYOUT_FILE, _LAYOUT_JSON)
    for number, layer in enumerate(image.layers, 1):
        what = f"layer {number} ({layer.digest})"
        _put_blob(root, layer.digest, layer.size, layer.open_compressed, verify, what)
    for data, what in ((image.config_bytes(), "config"), (image.manifest_bytes(), "manifest")):
        _put_blob(root, Digest.of(data), len(data), partial(io.BytesIO, data), verify, what)
    fsync_folder(blobs)
    descriptor = image.descriptor({ANNOTATION_REF_NAME: tag})
    others = [d for d in index.manifests if d.annotations.get(ANNOTATION_REF_NAME) != tag]
    atomic_write(root / INDEX_FILE, Index((*others, descriptor), index.annotations).to_json())
    fsync_folder(root)
    return descriptor


def _put_blob(
    root: Path,
    digest: Digest,
    size: int,
    opener: Callable[[], IO[bytes]],
    verify: bool,
    what: str,
) -> None:
    target = blob_path(root, digest)
    if digest.algorithm != "sha256":
        raise LayoutError(f"{what}: only sha256 blobs can be written, not {digest}")
    present = target.is_file() and target.stat().st_size == size
    if present and (not verify or hash_file(target) == (digest, size)):
        return
    with TempFile(target.parent) as temp:
        with opener() as source:
            got = copy_hashed(source, temp.file)
        if got != (digest, size):
            raise LayoutError(
                f"{what}: the content read is {got[0]} ({got[1]} bytes), not {digest} "
                f"({size} bytes); its source changed or is corrupt: build the layer again"
            )
        temp.commit(target)


def _layout_file_ok(root: Path) -> bool:
    try:
        version = json.loads((root / LAYOUT_FILE).read_bytes())["imageLayoutVersion"]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return isinstance(version, str) and version.startswith("1.")


def _read_index(root: Path) -> Index:
    try:
        return Index.from_json((root / INDEX_FILE).read_bytes())
    except OSError as exc:
        raise LayoutError(
            f"{root} has no readable {INDEX_FILE} ({exc}); is it an OCI layout?"
        ) from exc
    except BuilderError as exc:
        raise LayoutError(
            f"{root / INDEX_FILE} is damaged ({exc}); delete the layout and write it again"
        ) from exc


def read_blob(root: Path, descriptor: Descriptor, what: str) -> bytes:
    """A (small) blob's bytes, checked against the descriptor's size and digest."""
    path = blob_path(root, descriptor.digest)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LayoutError(f"{what} {descriptor.digest} is missing from {root} ({exc})") from exc
    if len(data) != descriptor.size or Digest.of(data) != descriptor.digest:
        raise LayoutError(
            f"{what} blob {path} does not match its descriptor ({descriptor.digest}, "
            f"{descriptor.size} bytes): the layout is corrupt; write the image again"
        )
    return data


def read_layout(layout: Path, tag: str | None = None, *, verify: bool = False) -> Image:
    """The image tagged `tag` in `layout` (or its only image when `tag` is None).

    Reads OCI and Docker v2s2 manifests (e.g. written by `skopeo copy ... oci:<dir>:<tag>`);
    manifest and config are checked against their digests now, layer sizes too, and layer
    digests when the layers are read (or now, with `verify=True`).
    """
    root = Path(layout)
    if not _layout_file_ok(root):
        raise LayoutError(f"{root} has no valid {LAYOUT_FILE} file; is it an OCI image layout?")
    descriptor = _select(_read_index(root).manifests, tag, root)
    try:
        data = read_blob(root, descriptor, "manifest")
        if descriptor.media_type in media_types.INDEXES:
            descriptor = _only_platform(Index.from_json(data), descriptor)
            data = read_blob(root, descriptor, "manifest")
        manifest = Manifest.from_json(data)
        config_bytes = read_blob(root, manifest.config, "config")
        config = ImageConfig.from_json(config_bytes)
    except LayoutError:
        raise
    except BuilderError as exc:
        raise LayoutError(f"{root}: image {descriptor.digest} is malformed: {exc}") from exc
    if manifest.media_type not in media_types.MANIFESTS:
        raise LayoutError(f"{descriptor.digest} is a {manifest.media_type}, not an image manifest")
    if len(config.diff_ids) != len(manifest.layers):
        raise LayoutError(
            f"config {manifest.config.digest} lists {len(config.diff_ids)} diff_ids for "
            f"{len(manifest.layers)} layers; the image is malformed"
        )
    layers = tuple(
        _layer(root, d, diff_id, step, verify)
        for d, diff_id, step in zip(manifest.layers, config.diff_ids, _layer_history(config))
    )
    return Image(layers, config, manifest.annotations, raw_manifest=data, raw_config=config_bytes)


def _only_platform(index: Index, descriptor: Descriptor) -> Descriptor:
    if len(index.manifests) == 1:
        return index.manifests[0]
    platforms = ", ".join(str(d.platform) for d in index.manifests)
    raise LayoutError(
        f"{descriptor.digest} is a multi-platform index ({platforms}); Lambda takes one "
        "platform: copy it out with `skopeo copy --override-arch <arch> oci:<in> oci:<out>`"
    )


def _select(manifests: tuple[Descriptor, ...], tag: str | None, root: Path) -> Descriptor:
    tags = sorted(d.annotations.get(ANNOTATION_REF_NAME, "") for d in manifests)
    if tag is None:
        if len(manifests) == 1:
            return manifests[0]
        raise LayoutError(
            f"{root} holds {len(manifests)} images ({', '.join(tags)}); pick one by tag"
        )
    matches = [d for d in manifests if d.annotations.get(ANNOTATION_REF_NAME) == tag]
    if len(matches) != 1:
        found = "no image" if not matches else f"{len(matches)} images"
        raise LayoutError(f"{root} has {found} tagged {tag!r}; tags: {', '.join(tags) or 'none'}")
    return matches[0]


def _layer_history(config: ImageConfig) -> list[History]:
    steps = [step for step in config.history if not step.empty_layer]
    return steps if len(steps) == len(config.diff_ids) else [History()] * len(config.diff_ids)


def _layer(root: Path, d: Descriptor, diff_id: Digest, step: History, verify: bool) -> BlobLayer:
    path = blob_path(root, d.digest)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise LayoutError(
            f"layer {d.digest} is missing from {root} ({exc}); write the image again"
        ) from exc
    if size != d.size or (verify and hash_file(path) != (d.digest, d.size)):
        raise LayoutError(
            f"layer blob {path} does not match {d.digest} ({d.size} bytes): "
            "the layout is corrupt; write the image again"
        )
    return BlobLayer(path, d.media_type, step, d.digest, d.size, diff_id)
