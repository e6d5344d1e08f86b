"""Check an OCI layout or an Image against the spec; report every problem found at once.

Checked: the `oci-layout` file; index.json (schema, media type, one descriptor per tag);
for each manifest: its blob matches its descriptor (size, sha256), media types (manifest,
config, layers; OCI and Docker types not mixed), the config blob, `architecture`/`os`,
`rootfs.diff_ids` equal the sha256 of each uncompressed layer in order, one non-empty history
entry per layer, and each layer tar has no duplicate or unsafe (`..`, absolute) paths.
"""

from __future__ import annotations

import io
import json
import posixpath
import tarfile
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

from . import media_types
from .digest import Digest, HashingReader, hash_stream
from .errors import BuilderError, ValidationError
from .image import Image
from .layer import uncompressed
from .layout import INDEX_FILE, LAYOUT_FILE, blob_path
from .manifest import ANNOTATION_REF_NAME, Descriptor

__all__ = ["validate_image", "validate_layout"]

_DOCKER_LAYERS = {media_types.DOCKER_LAYER_GZIP, media_types.DOCKER_FOREIGN_LAYER_GZIP}


def validate_layout(layout: Path, tag: str | None = None) -> None:
    """Raise ValidationError listing every problem of the layout (or of the image `tag`)."""
    root = Path(layout)
    problems: list[str] = []
    try:
        version = json.loads((root / LAYOUT_FILE).read_bytes()).get("imageLayoutVersion")
        if version != "1.0.0":
            problems.append(f"{LAYOUT_FILE}: imageLayoutVersion is {version!r}, not '1.0.0'")
    except (OSError, ValueError, AttributeError) as exc:
        problems.append(f"{LAYOUT_FILE} is missing or not a JSON object ({exc})")
    try:
        index = json.loads((root / INDEX_FILE).read_bytes())
        descriptors = [Descriptor.from_dict(d) for d in index.get("manifests") or ()]
    except (OSError, ValueError, AttributeError, BuilderError) as exc:
        problems.append(f"{INDEX_FILE} is missing or unreadable ({exc})")
        raise ValidationError(str(root), problems) from exc
    if index.get("schemaVersion") != 2:
        problems.append(f"{INDEX_FILE}: schemaVersion is not 2")
    if index.get("mediaType", media_types.OCI_INDEX) != media_types.OCI_INDEX:
        problems.append(f"{INDEX_FILE}: mediaType is {index['mediaType']!r}")
    tags = [d.annotations.get(ANNOTATION_REF_NAME) for d in descriptors]
    for name in sorted({t for t in tags if t is not None and tags.count(t) > 1}):
        problems.append(f"{INDEX_FILE}: tag {name!r} names {tags.count(name)} images")
    if tag is not None:
        descriptors = [d for d in descriptors if d.annotations.get(ANNOTATION_REF_NAME) == tag]
        if not descriptors:
            problems.append(f"{INDEX_FILE}: no image is tagged {tag!r}")
    for descriptor in descriptors:
        _check_manifest(root, descriptor, problems)
    if problems:
        raise ValidationError(str(root), problems)


def validate_image(image: Image) -> None:
    """Raise ValidationError listing every problem of an in-memory image (reads each layer)."""
    problems: list[str] = []
    manifest = image.manifest
    if manifest.config.digest != Digest.of(image.config_bytes()):
        problems.append("manifest: config descriptor does not match the config bytes")
    if len(manifest.layers) != len(image.layers):
        problems.append("manifest: the layer descriptors do not match the layers")
    refs = [(layer.open_compressed, d) for layer, d in zip(image.layers, manifest.layers)]
    _check_config(json.loads(image.config_bytes()), refs, "image", problems)
    if problems:
        raise ValidationError("image", problems)


def _read(root: Path, d: Descriptor, what: str, problems: list[str]) -> bytes | None:
    try:
        data = blob_path(root, d.digest).read_bytes()
    except OSError:
        problems.append(f"{what} {d.digest}: blob is missing")
        return None
    if len(data) != d.size:
        problems.append(f"{what} {d.digest}: blob is {len(data)} bytes, descriptor says {d.size}")
    if Digest.of(data) != d.digest:
        problems.append(f"{what} {d.digest}: blob content hashes to {Digest.of(data)}")
    return data


def _check_manifest(root: Path, d: Descriptor, problems: list[str]) -> None:
    what = f"manifest {d.digest.short}"
    data = _read(root, d, "manifest", problems)
    if data is None:
        return
    if d.media_type in media_types.INDEXES:
        _check_nested_index(root, data, f"index {d.digest.short}", problems)
        return
    try:
        manifest = json.loads(data)
        config_d = Descriptor.from_dict(manifest["config"])
        layer_ds = [Descriptor.from_dict(layer) for layer in manifest.get("layers") or ()]
    except (ValueError, KeyError, TypeError, BuilderError) as exc:
        problems.append(f"{what}: not a valid image manifest ({exc})")
        return
    media_type = manifest.get("mediaType", d.media_type)
    if manifest.get("schemaVersion") != 2:
        problems.append(f"{what}: schemaVersion is not 2")
    if media_type not in media_types.MANIFESTS or media_type != d.media_type:
        problems.append(f"{what}: mediaType {media_type!r} (index says {d.media_type!r})")
    expected_config = media_types.CONFIG_FOR_MANIFEST.get(media_type)
    if config_d.media_type != expected_config:
        problems.append(f"{what}: config mediaType is {config_d.media_type!r}")
    docker = media_type == media_types.DOCKER_MANIFEST
    for layer in layer_ds:
        kind = layer.media_type
        if kind not in media_types.LAYERS or (kind in _DOCKER_LAYERS) != docker:
            problems.append(f"{what}: layer {layer.digest.short} has mediaType {kind!r}")
    config = _read(root, config_d, "config", problems)
    if config is None:
        return
    try:
        config_raw = json.loads(config)
    except ValueError as exc:
        problems.append(f"config {config_d.digest.short}: not JSON ({exc})")
        return
    refs = [(_opener(blob_path(root, layer.digest)), layer) for layer in layer_ds]
    _check_config(config_raw, refs, what, problems)


def _check_nested_index(root: Path, data: bytes, what: str, problems: list[str]) -> None:
    try:
        raw = json.loads(data)
        children = [Descriptor.from_dict(d) for d in raw.get("manifests") or ()]
    except (ValueError, AttributeError, BuilderError) as exc:
        problems.append(f"{what}: not a valid image index ({exc})")
        return
    if raw.get("schemaVersion") != 2:
        problems.append(f"{what}: schemaVersion is not 2")
    for child in children:
        _check_manifest(root, child, problems)


def _opener(path: Path) -> Callable[[], IO[bytes]]:
    return lambda: path.open("rb")


_LayerRef = tuple[Callable[[], IO[bytes]], Descriptor]
"""How to open a layer blob, and the manifest's descriptor of it."""


def _check_config(config: Any, layers: Sequence[_LayerRef], what: str, problems: list[str]) -> None:
    if not isinstance(config, dict):
        problems.append(f"{what}: the config is not a JSON object")
        return
    for key in ("architecture", "os"):
        if not config.get(key):
            problems.append(f"{what}: config has no {key!r}")
    rootfs = config.get("rootfs") or {}
    diff_ids = rootfs.get("diff_ids") or []
    if rootfs.get("type") != "layers":
        problems.append(f"{what}: config rootfs.type is {rootfs.get('type')!r}, not 'layers'")
    if len(diff_ids) != len(layers):
        problems.append(f"{what}: config has {len(diff_ids)} diff_ids for {len(layers)} layers")
    steps = [h for h in config.get("history") or () if isinstance(h, dict)]
    history = [h for h in steps if not h.get("empty_layer")]
    if len(history) != len(layers):
        problems.append(
            f"{what}: config history has {len(history)} non-empty entries for {len(layers)} layers"
        )
    for number, (opener, descriptor) in enumerate(layers, 1):
        diff_id = diff_ids[number - 1] if number <= len(diff_ids) else None
        _check_layer(opener, descriptor, diff_id, f"{what}: layer {number}", problems)


def _check_layer(
    opener: Callable[[], IO[bytes]],
    descriptor: Descriptor,
    diff_id: str | None,
    what: str,
    problems: list[str],
) -> None:
    media_type = descriptor.media_type
    expected = (str(descriptor.digest), descriptor.size)
    try:
        with HashingReader(opener()) as blob:
            tar_stream = HashingReader(uncompressed(media_type, io.BufferedReader(blob), what))
            with tar_stream, tarfile.open(fileobj=tar_stream, mode="r|") as tar:
                seen: set[str] = set()
                for member in tar:
                    _check_member(member.name, seen, what, problems)
                _drain(tar_stream)
                _drain(blob)
    except FileNotFoundError:
        problems.append(f"{what} ({expected[0]}): blob is missing")
        return
    except (OSError, EOFError, zlib.error, tarfile.TarError, BuilderError) as exc:
        mismatch = _blob_mismatch(opener, expected, what)
        problems.append(mismatch or f"{what} ({expected[0]}): not a readable {media_type} ({exc})")
        return
    mismatch = _blob_mismatch(blob, expected, what)
    if mismatch:
        problems.append(mismatch)
    if diff_id is not None and str(tar_stream.digest) != diff_id:
        problems.append(f"{what}: tar sha256 is {tar_stream.digest}, config diff_id is {diff_id}")


def _blob_mismatch(
    blob: HashingReader | Callable[[], IO[bytes]], expected: tuple[str, int], what: str
) -> str:
    """How the blob differs from its descriptor ("" if it does not), re-reading it if needed."""
    if not isinstance(blob, HashingReader):
        try:
            with blob() as stream:
                digest, size = hash_stream(stream)
        except (OSError, BuilderError):
            return ""
    else:
        digest, size = blob.digest, blob.size
    if (str(digest), size) == expected:
        return ""
    return (
        f"{what}: blob is {digest} ({size} bytes), "
        f"descriptor says {expected[0]} ({expected[1]} bytes)"
    )


def _drain(stream: HashingReader) -> None:
    while stream.read(1 << 20):
        pass


def _check_member(name: str, seen: set[str], what: str, problems: list[str]) -> None:
    path = posixpath.normpath(name)
    if name.startswith("/") or path == ".." or path.startswith("../"):
        problems.append(f"{what}: unsafe path {name!r} in the tar")
    elif path in seen:
        problems.append(f"{what}: {path!r} appears more than once in the tar")
    seen.add(path)
