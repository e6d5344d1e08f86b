"""The full path's side: snapshot the inputs before a build, record it afterwards.

`snapshot()` runs before the build reads anything (so an edit made meanwhile makes the
record stale, never wrong) and `remember()` after the layout is written. The record is
written only when the fast path can reproduce the build: a code folder, `--base` a layout
folder or the default base (the caller passes the stats of what resolving it reads), no
--layer, the code layer last; its templates are made from a probe image whose
code layer has sentinel values, and checked by filling them with the real values: they
must give back the config, manifest and index.json just written, byte for byte, or no
record is written. This module runs on the full path only and may import the builder's
`oci` and `layers` packages.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..layers.entries import BytesSource, Entry, normalize
from ..layers.tree import IGNORE_FILE, IgnoreRules
from ..oci.digest import Digest
from ..oci.image import Image
from ..oci.layer import BlobLayer
from ..oci.layout import blob_path
from ..oci.manifest import ANNOTATION_REF_NAME, Index
from ..oci.reproducible import GZIP_LEVEL
from . import record
from .emit import fill
from .walk import OPAQUE

__all__ = ["Snapshot", "remember", "snapshot"]

PREFIX = "var/task"
_SLOTS = {name: hashlib.sha256(f"lambdabox quick {name}".encode()).hexdigest()
          for name in ("diff_id", "layer", "manifest")}  # fmt: skip
_SIZES = {"layer_size": 987654321012345, "manifest_size": 987654321054321}


@dataclass(frozen=True)
class Snapshot:
    """What a build is about to read, taken before it reads it."""

    argv: tuple[str, ...]
    source: str
    output: Path
    realpaths: tuple[tuple[str, str], ...]
    sources: tuple[tuple[str, int, int], ...]
    hashed: tuple[tuple[str, str], ...]
    decisions: Mapping[tuple[str, bool], bool]
    symlinks: Mapping[str, str]
    opaque: bool
    mtime: int


def _builder_modules() -> list[str]:
    top = Path(__file__).resolve().parent.parent
    return sorted(str(path) for path in top.rglob("*.py"))


def snapshot(
    argv: Sequence[str],
    *,
    source: Path,
    output: Path,
    base: str | None,
    requirements: Path | None,
    layers: Sequence[Path],
    mtime: int,
    base_hash: str | None = None,
    base_inputs: Sequence[tuple[str, int, int]] = (),
) -> Snapshot | None:
    """The inputs of a build the fast path could repeat, or None. `base_hash`: the hash of
    the base's index.json when the base was read earlier (--watch resolves it once).
    `base_inputs`: without `base`, the (path, mtime_ns, size) of the files and folders the
    default base's resolution reads (`builder.base.build.layout_inputs`), taken before."""
    if (base is not None and not Path(base).is_dir()) or layers or not source.is_dir():
        return None
    modules = _builder_modules()
    hashed = []
    if base is not None:
        base_index = os.path.join(base, "index.json")
        hashed.append((base_index, record.hashed(base_index) if base_hash is None else base_hash))
    hashed.append(
        (os.path.join(str(source), IGNORE_FILE), record.hashed(str(source / IGNORE_FILE)))
    )
    if requirements is not None:
        hashed.append((str(requirements), record.hashed(str(requirements))))
        import pip

        modules.append(str(Path(pip.__file__).resolve()))
    decisions: dict[tuple[str, bool], bool] = {}
    symlinks: dict[str, str] = {}
    entries: list[Entry] = []
    rules = IgnoreRules.for_tree(source, [output])
    _walk(str(source), "", rules, decisions, symlinks, entries)
    opaque = requirements is None
    if opaque:
        entries.append(Entry.file(OPAQUE, b""))
    normalize(entries, PREFIX)  # what the build will refuse, the record never holds
    folders = (str(source), str(output)) if base is None else (base, str(source), str(output))
    return Snapshot(
        tuple(argv),
        str(source),
        output,
        tuple((folder, os.path.realpath(folder)) for folder in folders),
        (*record.source_stats(modules), *base_inputs),
        tuple(hashed),
        decisions,
        symlinks,
        opaque,
        mtime,
    )


def _walk(
    folder: str,
    rel: str,
    rules: IgnoreRules,
    decisions: dict[tuple[str, bool], bool],
    symlinks: dict[str, str],
    entries: list[Entry],
) -> None:
    with os.scandir(folder) as scan:
        items = sorted(scan, key=lambda item: item.name)
    for item in items:
        path = rel + item.name
        is_dir = item.is_dir(follow_symlinks=False)
        ignored = decisions[(path, is_dir)] = rules.ignores(path, is_dir)
        if ignored:
            continue
        if item.is_symlink():
            symlinks[path] = os.readlink(item.path)
            entries.append(Entry.symlink(path, symlinks[path]))
        elif is_dir:
            entries.append(Entry.directory(path))
            _walk(item.path, path + "/", rules, decisions, symlinks, entries)
        else:
            entries.append(Entry(path, "file", False, BytesSource(b"")))


def _template(data: bytes, slots: Mapping[str, str]) -> tuple[bytes | str, ...]:
    found = []
    for name, value in slots.items():
        needle = value.encode()
        if data.count(needle) != 1:
            raise ValueError(f"slot {name} appears {data.count(needle)} times")
        found.append((data.index(needle), len(needle), name))
    parts: list[bytes | str] = []
    at = 0
    for start, length, name in sorted(found):
        parts += [data[at:start], name]
        at = start + length
    parts.append(data[at:])
    return tuple(parts)


def remember(
    taken: Snapshot,
    *,
    image: Image,
    tag: str,
    present: Sequence[tuple[str, int]],
    hashed: Sequence[tuple[str, str]] = (),
    realpaths: Sequence[tuple[str, str]] = (),
    summary: Mapping[str, Any],
) -> bool:
    """Write the record of the build `taken` before it, which wrote `image` under `tag`;
    `present` lists blobs outside the layout it relied on (the dependency cache entry),
    `hashed` files read since the snapshot (the cache's key record, the default base's
    layout index.json, checked by the caller), `realpaths` folders found since (the
    default base's layout). False (and no record) when the fast path could not reproduce it."""
    taken = replace(
        taken, hashed=(*taken.hashed, *hashed), realpaths=(*taken.realpaths, *realpaths)
    )
    output = taken.output
    try:
        made = _record(taken, image, tag, present, summary)
    except (ValueError, OSError):
        made = None
    if made is None:
        record.discard(str(output))
        return False
    record.save(str(output.resolve()), made)
    return True


def _record(
    taken: Snapshot,
    image: Image,
    tag: str,
    present: Sequence[tuple[str, int]],
    summary: Mapping[str, Any],
) -> dict[str, Any] | None:
    steps = summary["layers"]
    if not steps or steps[-1]["name"] != "code" or len(steps) > 2:
        return None
    code = image.layers[-1]
    fake = BlobLayer(
        Path(os.devnull),
        code.media_type,
        code.history,
        known_digest=Digest("sha256", _SLOTS["layer"]),
        known_size=_SIZES["layer_size"],
        known_diff_id=Digest("sha256", _SLOTS["diff_id"]),
    )
    config = replace(image.config, diff_ids=(*image.config.diff_ids[:-1], fake.diff_id))
    probe = Image((*image.layers[:-1], fake), config, image.annotations)
    config_bytes = probe.config_bytes()
    slots = {"config": Digest.of(config_bytes).hex, "layer": _SLOTS["layer"]}
    manifest_t = _template(
        probe.manifest_bytes(), {**slots, "layer_size": str(_SIZES["layer_size"])}
    )
    descriptor = replace(
        probe.descriptor({ANNOTATION_REF_NAME: tag}),
        digest=Digest("sha256", _SLOTS["manifest"]),
        size=_SIZES["manifest_size"],
    )
    index_bytes = (taken.output / "index.json").read_bytes()
    on_disk = Index.from_json(index_bytes)
    others = [d for d in on_disk.manifests if d.annotations.get(ANNOTATION_REF_NAME) != tag]
    index_t = _template(
        Index((*others, descriptor), on_disk.annotations).to_json(),
        {"manifest": _SLOTS["manifest"], "manifest_size": str(_SIZES["manifest_size"])},
    )
    config_t = _template(config_bytes, {"diff_id": _SLOTS["diff_id"]})
    real = {
        "diff_id": code.diff_id.hex.encode(),
        "config": image.config_digest.hex.encode(),
        "layer": code.digest.hex.encode(),
        "layer_size": str(code.size).encode(),
        "manifest": image.digest.hex.encode(),
        "manifest_size": str(len(image.manifest_bytes())).encode(),
    }
    if (
        fill(config_t, real) != image.config_bytes()
        or fill(manifest_t, real) != image.manifest_bytes()
        or fill(index_t, real) != index_bytes
    ):
        return None
    below = [(str(blob_path(taken.output.resolve(), layer.digest)), layer.size)
             for layer in image.layers[:-1]]  # fmt: skip
    fixed = {key: summary[key] for key in ("digest", "image_id", "output", "tag", "base")}
    fixed["layers"] = [{**step, "cached": True, "seconds": 0.0} for step in steps]
    return {
        "format": record.RECORD_FORMAT,
        "key": record.command_key(taken.argv),
        "sources": taken.sources,
        "hashed": taken.hashed,
        "present": (*present, *below),
        "realpaths": taken.realpaths,
        "tree": (
            taken.source,
            dict(taken.decisions),
            dict(taken.symlinks),
            taken.opaque,
            PREFIX,
            taken.mtime,
            GZIP_LEVEL,
        ),
        "config": config_t,
        "manifest": manifest_t,
        "index": index_t,
        "index_bytes": index_bytes,
        "summary": fixed,
        "code": (code.digest.hex, code.diff_id.hex, code.size),
    }
