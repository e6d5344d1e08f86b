"""Arguments and actions of `lambdabox base` (`list`, `build NAME`).

`lambdabox/cli.py` wires `add_arguments(parser)` and `run(args) -> int`, with `DESCRIPTION`
as the command's description. `build` writes the image to --output (else to the cached
layout of `ensure_base`), prints its digests and sizes, and with --load / --push copies it
to Docker or a registry (`builder.base.publish`). Exit statuses: 0 success, 1 failure, 2 usage.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from ..base.arch import host_arch, normalize_arch
from ..base.build import build_base, ensure_base, image_summary
from ..base.definition import base_names, load_definition
from ..base.publish import DOCKER_REPOSITORY, load_into_docker, push
from ..layers.cache import Cache
from ..oci.errors import BuilderError

__all__ = ["DESCRIPTION", "add_arguments", "run"]

DESCRIPTION = """\
Build the lambdabox base images from Debian packages (mmdebstrap; no Docker build):
python3.11 (bookworm), python3.13 (trixie), python3.9 (bullseye), provided (bookworm, OS
only). Definitions: base_images/<name>/base.toml. Needs root, mmdebstrap and the mirror.

examples:
  lambdabox base list
  lambdabox base build python3.11 --output out/python3.11 --load
  lambdabox base build provided --push 127.0.0.1:5000/base:provided --dest-tls-verify=false
  lambdabox base build python3.11 --arch arm64 --load   # on x86_64: qemu-user-static
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="base_command", metavar="ACTION")
    listing = sub.add_parser("list", help="list the base images")
    listing.add_argument("--json", action="store_true", help="print one JSON document")
    build = sub.add_parser("build", help="build a base image into an OCI layout")
    build.add_argument("name", help="the base image, e.g. python3.11 (see `lambdabox base list`)")
    build.add_argument("--output", type=Path, metavar="DIR", help="OCI layout (default: cached)")
    build.add_argument(
        "--arch",
        type=str.lower,
        choices=("amd64", "arm64", "x86_64", "aarch64"),
        help=f"target architecture (default: this machine's, {host_arch()}); another one runs "
        "through qemu (apt-get install qemu-user-static arch-test)",
    )
    build.add_argument(
        "--load",
        action="store_true",
        help=f"load it into Docker as {DOCKER_REPOSITORY}:NAME (NAME-ARCH for another arch)",
    )
    build.add_argument("--push", metavar="REF", help="push it with skopeo to docker://REF")
    build.add_argument(
        "--dest-tls-verify",
        choices=("true", "false"),
        default="true",
        help="verify the registry's TLS certificate on --push (false for 127.0.0.1 registries)",
    )
    build.add_argument("--json", action="store_true", help="print digests and sizes as JSON")


def run(args: argparse.Namespace) -> int:
    from lambdabox.progress import Status

    say = Status("lambdabox base")

    try:
        if args.base_command == "list":
            return _list(args)
        if args.base_command == "build":
            return _build(args, say)
    except BuilderError as exc:
        say(str(exc))
        return 1
    sys.stderr.write("lambdabox base: say `list` or `build NAME` (see --help)\n")
    return 2


def _list(args: argparse.Namespace) -> int:
    rows = []
    for name in base_names():
        definition = load_definition(name)
        rows.append(
            {
                "name": name,
                "suite": definition.suite,
                "python": definition.python,
                "description": definition.description,
            }
        )
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        for row in rows:
            print(f"{row['name']:<12} debian {row['suite']:<9} {row['description']}")
    return 0


def _build(args: argparse.Namespace, say: Any) -> int:
    started = time.monotonic()
    cache = Cache.default()
    arch = normalize_arch(args.arch)
    with say.step(f"base image {args.name} ({arch})"):
        if args.output is not None:
            image = build_base(args.name, output=args.output, cache=cache, progress=say, arch=arch)
            layout = Path(args.output)
        else:
            from ..oci.layout import read_layout

            layout = ensure_base(args.name, cache, progress=say, arch=arch)
            image = read_layout(layout, args.name)
    summary: dict[str, object] = {
        "name": args.name,
        "arch": arch,
        "layout": str(layout),
        "tag": args.name,
    }
    summary.update(image_summary(image))
    summary["seconds"] = round(time.monotonic() - started, 1)
    if args.load:
        with say.step("loading into Docker"):
            suffix = "" if arch == host_arch() else f"-{arch}"
            tag = f"{DOCKER_REPOSITORY}:{args.name}{suffix}"
            summary["loaded"] = load_into_docker(image, tag, say)
    if args.push:
        with say.step(f"pushing to {args.push}"):
            tls = args.dest_tls_verify == "true"
            summary["pushed"] = push(layout, args.name, args.push, tls, say)
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(
            f"{args.name} ({arch}): {summary['digest']} in {layout} (tag {args.name}); "
            f"{int(str(summary['compressed_size'])) / 1e6:.1f} MB compressed, "
            f"{int(str(summary['uncompressed_size'])) / 1e6:.1f} MB uncompressed"
        )
    return 0
