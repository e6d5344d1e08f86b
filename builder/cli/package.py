"""Arguments and action of `lambdabox package`: a deterministic Lambda .zip.

`lambdabox/cli.py` wires `add_package_arguments(parser)` and `run_package(args) -> int`. The
code folder and its dependencies (pip for the Lambda platform, wheels only; with
--build-sdists, source-only requirements built in the base image) go into the .zip
(`builder.function.lambda_zip.write_lambda_zip`; default .lambdabox/out/NAME.zip). Exit statuses:
0 success, 1 failure (the message names the fix), 2 usage error.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..function.lambda_zip import write_lambda_zip
from ..layers.cache import Cache
from ..oci.errors import BuilderError
from .base_resolution import resolve_base
from .common import add_common_arguments, fail, python_version, say_for, split_tag

__all__ = ["add_package_arguments", "run_package"]


def add_package_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "source", nargs="?", type=Path, default=Path("."), help="code folder (default: .)"
    )
    add_common_arguments(parser)
    parser.add_argument(
        "-o", "--output", type=Path, help="the .zip to write (default .lambdabox/out/NAME.zip)"
    )
    parser.add_argument(
        "--base",
        help="with --build-sdists: the image sdists are built in (OCI layout folder or image "
        "REF; default: the lambdabox base image of --runtime)",
    )


def run_package(args: argparse.Namespace) -> int:
    say = say_for("package")
    try:
        source: Path = args.source
        name, _ = split_tag(None, source)
        output: Path = args.output or Path(".lambdabox") / "out" / f"{name}.zip"
        sdists = None
        if args.build_sdists:
            from ..function.sdists import SdistBuilder

            cache = Cache.default()
            base, base_name = resolve_base(
                args.base, args.runtime, cache, say, platform=args.platform
            )
            sdists = SdistBuilder(
                base, cache=cache, pip_args=args.pip_arg, say=say, base_name=base_name
            )
        write_lambda_zip(
            source,
            output,
            requirements=args.requirements,
            python_version=getattr(args, "python_version", None) or python_version(args.runtime),
            platform=getattr(args, "platform", "manylinux2014_x86_64"),
            pip_args=args.pip_arg,
            build_sdist=sdists,
            bytecode=args.bytecode,
        )
    except BuilderError as exc:
        return fail(say, exc)
    say(f"wrote {output} ({output.stat().st_size} bytes)")
    return 0
