"""The build record of `lambdabox build` for the code-only fast path (`builder.quick`).

`quick_snapshot` takes what a build is about to read (before it reads it) and
`quick_remember` records the finished build, with what the full path knows and the fast
path must check: the dependency cache entry, and for the default base (no --base) the
stats of what resolving it reads (`default_base_stats`: base.toml, the bundled sources) and
its cached layout (`index.json`, `.complete`, real path), which must name the base the build
used. Part of the CLI: may import any builder package.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from ..layers.cache import Cache
from ..oci.errors import BuilderError
from ..oci.image import Image
from ..oci.reproducible import source_date_epoch
from .common import python_version

__all__ = ["BaseStats", "Recorded", "default_base_stats", "quick_remember", "quick_snapshot"]

BaseStats = tuple[tuple[str, int, int], ...]
"""(path, mtime_ns, size) of what resolving the default base reads."""
Recorded = tuple[tuple[str, ...], str | None, BaseStats | None]
"""What to record a build for: the command, and the base's state when resolved earlier."""


def quick_snapshot(
    args: argparse.Namespace,
    source: Path,
    output: Path,
    recorded: Recorded | None,
    *,
    one_shot: bool,
) -> Any:
    """The inputs of this build, before it reads them, for the build record."""
    if recorded is None and one_shot:
        from ..quick import armed

        argv = armed()
        recorded = (argv, None, None) if argv is not None else None
    if recorded is None or args.build_sdists or args.load or args.push:
        return None
    argv, base_hash, base_stats = recorded
    from ..quick.capture import snapshot

    try:
        if args.base is None and base_stats is None:
            base_stats = default_base_stats(args.runtime)
        return snapshot(
            argv,
            source=source,
            output=output,
            base=args.base,
            requirements=args.requirements,
            layers=args.layer,
            mtime=source_date_epoch(os.environ),
            base_hash=base_hash,
            base_inputs=base_stats or (),
        )
    except (BuilderError, OSError):
        return None


def default_base_stats(runtime: str) -> BaseStats:
    """The stats of what resolving the default base of `runtime` reads (its definition and
    bundled sources), for the build record: taken before the base is resolved."""
    from ..base.build import layout_inputs
    from ..quick.record import source_stats

    return source_stats([str(path) for path in layout_inputs(runtime)])


def _default_base_layout(
    args: argparse.Namespace, cache: Cache, digest: str
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]] | None:
    """The default base's cached layout for the build record: (hashed, realpaths) of its
    index.json, .complete mark and folder; None unless its index.json names `digest` (the
    base the build used)."""
    from ..base.arch import arch_of_platform
    from ..base.build import layout_folder
    from ..oci.manifest import Index
    from ..quick.record import hashed

    platform = getattr(args, "platform", None)
    arch = arch_of_platform(platform) if platform else None
    try:
        layout = layout_folder(args.runtime, cache, arch=arch)
        index = (layout / "index.json").read_bytes()
        digests = {str(found.digest) for found in Index.from_json(index).manifests}
    except (BuilderError, OSError, ValueError, KeyError, TypeError):
        return None
    if digest not in digests:
        return None
    files = [
        (str(layout / "index.json"), hashlib.sha256(index).hexdigest()),
        (str(layout / ".complete"), hashed(str(layout / ".complete"))),
    ]
    return files, [(str(layout), os.path.realpath(layout))]


def quick_remember(
    taken: Any, args: argparse.Namespace, image: Image, tag: str, cache: Cache, summary: Any
) -> None:
    """Record the build for the fast path (`builder.quick`): the next code-only change of
    the same command then rebuilds the code layer only."""
    from ..function.dependencies import DependencySpec, dependency_layer_key
    from ..quick.capture import remember

    present: list[tuple[str, int]] = []
    hashed: list[tuple[str, str]] = []
    realpaths: list[tuple[str, str]] = []
    if args.base is None:
        found = _default_base_layout(args, cache, summary["base"]["digest"])
        if found is None:  # the cached layout changed since the build read it: no record
            from ..quick.record import discard

            discard(str(taken.output))
            return
        hashed += found[0]
        realpaths += found[1]
    if args.requirements is not None:
        spec = DependencySpec(
            args.requirements,
            getattr(args, "python_version", None) or python_version(args.runtime),
            getattr(args, "platform", "manylinux2014_x86_64"),
            pip_args=tuple(args.pip_arg),
            bytecode=args.bytecode,
        )
        key_file = cache.record_path(dependency_layer_key(spec, opaque=True))
        blob = image.layers[-2]
        try:
            key_record = key_file.read_bytes()
            matches = json.loads(key_record)["digest"] == str(blob.digest)
        except (OSError, ValueError, KeyError, TypeError):
            matches = False
        if not matches:  # the cache entry changed since the build read it: no record
            from ..quick.record import discard

            discard(str(taken.output))
            return
        hashed.append((str(key_file), hashlib.sha256(key_record).hexdigest()))
        present.append((str(cache.blob_path(blob.digest)), blob.size))
    remember(
        taken,
        image=image,
        tag=tag,
        present=present,
        hashed=hashed,
        realpaths=realpaths,
        summary=summary,
    )
