"""Arguments and action of `lambdabox rebase`: a built function image moved onto another base.

`lambdabox/cli.py` wires `add_rebase_arguments(parser)` and `run_rebase(args) -> int`. The
image's base layers (known from its annotations) are replaced by those of --base
(`function.rebase`, a manifest edit: no layer is rebuilt), and the layout is written again
under the same tag and validated. Exit statuses: 0 success, 1 failure, 2 usage error.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..function.rebase import rebase
from ..layers.cache import Cache
from ..oci.errors import BuilderError
from ..oci.layout import read_layout, write_layout
from ..oci.validate import validate_layout
from .base_resolution import resolve_base
from .common import fail, say_for

__all__ = ["add_rebase_arguments", "run_rebase"]


def add_rebase_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("layout", type=Path, help="OCI layout written by `lambdabox build`")
    parser.add_argument("--base", required=True, help="new base: OCI layout folder or image REF")
    parser.add_argument("-t", "--tag", help="the image's tag in the layout (default: its only one)")
    parser.add_argument("--cache", type=Path, help="cache for daemon bases ($LAMBDABOX_CACHE)")
    parser.add_argument("--json", action="store_true", help="print a JSON summary on stdout")


def run_rebase(args: argparse.Namespace) -> int:
    say = say_for("rebase")
    try:
        layout: Path = args.layout
        if not layout.is_dir():
            raise BuilderError(f"{layout} is not a folder: pass the OCI layout to rebase")
        image = read_layout(layout, args.tag)
        tag = args.tag or _only_tag(layout)
        cache = Cache(args.cache) if args.cache else Cache.default()
        new_base, base_name = resolve_base(args.base, "", cache)
        rebased = rebase(image, new_base, base_name=base_name)
        write_layout(layout, rebased, tag=tag)
        validate_layout(layout, tag)
    except BuilderError as exc:
        return fail(say, exc)
    say(f"{layout}:{tag} now on {base_name}: {image.digest} -> {rebased.digest}")
    if args.json:
        print(json.dumps({"digest": str(rebased.digest), "previous": str(image.digest)}))
    return 0


def _only_tag(layout: Path) -> str:
    from ..oci.manifest import ANNOTATION_REF_NAME, Index

    index = Index.from_json((layout / "index.json").read_bytes())
    return index.manifests[0].annotations.get(ANNOTATION_REF_NAME, "latest")
