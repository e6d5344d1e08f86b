"""Arguments and actions of `lambdabox build`: a function image, or a user's Dockerfile.

`lambdabox/cli.py` wires `add_build_arguments(parser)` and `run_build(args) -> int`, with
`BUILD_DESCRIPTION`. The image is written as an OCI layout (default .lambdabox/out/NAME), then
copied to Docker (--load) or a registry (--push); --watch builds again on every change of the
inputs, with the base resolved once. Configuration (SOURCE_DATE_EPOCH, LAMBDABOX_CACHE) is read
here, at the edge. Exit statuses: 0 success, 1 failure (the message names the fix), 2 usage.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ..function.build import Step, build_function
from ..layers.cache import Cache
from ..oci.errors import BuilderError
from ..oci.image import Image
from ..oci.layout import read_layout, write_layout
from ..oci.reproducible import source_date_epoch
from .base_resolution import resolve_base
from .build_record import BaseStats, Recorded, default_base_stats, quick_remember, quick_snapshot
from .common import add_common_arguments, fail, long_step, python_version, say_for, split_tag

__all__ = ["BUILD_DESCRIPTION", "add_build_arguments", "run_build"]

BUILD_DESCRIPTION = """\
Build a function image from a code folder or a Lambda .zip, without Docker: the base, then
the dependencies (pip on this host for the Lambda platform, wheels only), each --layer under
/opt, then the code under /var/task. Unchanged layers come from the cache, so a code-only
change rebuilds one small layer. The result is an OCI image layout (default
.lambdabox/out/NAME); --load and --push copy it to the Docker daemon or a registry.

The base: --base DIR (an OCI layout), --base REF (an image in the Docker daemon, copied
once into the cache), or by default the lambdabox base image of --runtime.
"""


def add_build_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "source", nargs="?", type=Path, default=Path("."), help="code folder or .zip (default: .)"
    )
    add_common_arguments(parser)
    parser.add_argument(
        "--handler", help="module.function, e.g. app.handler (required unless --dockerfile)"
    )
    parser.add_argument(
        "--dockerfile",
        type=Path,
        help="build this Dockerfile with Docker instead (context: the source folder)",
    )
    parser.add_argument(
        "--buildkit",
        action="store_true",
        help="with --dockerfile: build with BuildKit through the docker CLI, not the SDK",
    )
    parser.add_argument("-t", "--tag", help="NAME:TAG (default: <folder name>:latest)")
    parser.add_argument(
        "--layer", action="append", default=[], type=Path, help="Lambda layer folder or .zip"
    )
    parser.add_argument("--env", action="append", default=[], metavar="K=V", help="environment")
    parser.add_argument("--base", help="OCI layout folder, or an image in the Docker daemon")
    parser.add_argument(
        "--output", type=Path, help="OCI layout folder (default .lambdabox/out/NAME)"
    )
    parser.add_argument("--cache", type=Path, help="layer cache (default $LAMBDABOX_CACHE)")
    parser.add_argument(
        "--load", action="store_true", help="load the image into Docker as NAME:TAG"
    )
    parser.add_argument("--push", metavar="REF", help="push to a registry, e.g. host:5000/fn:1")
    parser.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    parser.add_argument(
        "--watch",
        action="store_true",
        help="stay up and build again on every change of the code, layers or requirements "
        "(with --load/--push each time; --json prints one line per build); Ctrl-C stops",
    )


def _env(items: Sequence[str]) -> dict[str, str]:
    env = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise BuilderError(f"--env {item!r}: use KEY=VALUE")
        env[key] = value
    return env


def _build_dockerfile(
    args: argparse.Namespace, context: Path, name: str, tag: str, say: Callable[[str], None]
) -> int:
    """A user Dockerfile: Docker builds it; the result is exported like our builds."""
    from ..function import dockerfile

    dockerfile_path: Path = args.dockerfile
    if not dockerfile_path.is_file():
        raise BuilderError(f"{dockerfile_path} is not a file: pass the Dockerfile's path")
    ref = f"{name}:{tag}"
    with long_step(say, f"docker build ({'BuildKit' if args.buildkit else 'SDK'})"):
        if args.buildkit:
            image_id = dockerfile.build_with_buildkit(context, dockerfile_path, ref, say)
        else:
            image_id = dockerfile.build_with_sdk(context, dockerfile_path, ref, say)
    summary: dict[str, Any] = {"image_id": image_id, "tag": ref, "loaded": ref}
    if args.output is not None or args.push:
        output: Path = args.output or Path(".lambdabox") / "out" / name
        with long_step(say, f"exporting to {output}"):
            dockerfile.export_from_daemon(ref, output, tag)
        image = read_layout(output, tag)
        summary.update({"digest": str(image.digest), "output": str(output)})
        if args.push:
            from ..export import SkopeoExporter

            target = args.push if args.push.startswith("docker://") else f"docker://{args.push}"
            with long_step(say, f"pushing to {target}"):
                SkopeoExporter().export(output, tag, target)
            summary["pushed"] = target
    say(f"built {ref} (image ID {image_id})")
    if args.json:
        print(json.dumps(summary, indent=2))
    return 0


def run_build(args: argparse.Namespace) -> int:
    say = say_for("build")
    if getattr(args, "watch", False):
        return _watch(args, say)
    try:
        return _build(args, say)
    except BuilderError as exc:
        return fail(say, exc)


def _watch(args: argparse.Namespace, say: Callable[[str], None]) -> int:
    """--watch: the base is resolved once; every change of the inputs builds again (on the
    code-only fast path of `builder.quick` when only the code changed)."""
    from ..layers.watch import watch
    from ..quick import armed

    if args.dockerfile is not None or not args.handler:
        say("usage: --watch needs --handler and cannot be used with --dockerfile")
        return 2
    inputs = [args.source, *args.layer, *([args.requirements] if args.requirements else [])]
    resolved: list[tuple[Image, str]] = []
    base_hash: list[str] = []
    base_stats: list[BaseStats] = []

    def base(runtime: str, cache: Cache) -> tuple[Image, str]:
        if not resolved:
            # before the base is read or resolved: a later change is seen
            if args.base is not None:
                from ..quick.record import hashed

                base_hash.append(hashed(os.path.join(args.base, "index.json")))
            else:
                with contextlib.suppress(BuilderError, OSError):  # resolve_base reports it
                    base_stats.append(default_base_stats(runtime))
            resolved.append(resolve_base(args.base, runtime, cache, say, platform=args.platform))
        return resolved[0]

    argv = armed()  # the same command without --watch: what the record is kept for
    same = tuple(a for a in argv if a != "--watch") if argv and argv.count("--watch") == 1 else None

    def build() -> int:
        if same is not None and resolved:
            from ..quick.build import run

            status = run(same, indent=None)
            if status is not None:
                return status
        recorded = (
            (same, base_hash[0] if base_hash else None, base_stats[0] if base_stats else None)
            if same is not None
            else None
        )
        return _build(args, say, base, recorded)

    try:
        output = output_folder(args, split_tag(args.tag, args.source)[0])
    except BuilderError as exc:
        return fail(say, exc)
    watch(inputs, build, say=say, skip=[output])
    return 0


def output_folder(args: argparse.Namespace, name: str) -> Path:
    """--output, or .lambdabox/out/NAME; never the code folder itself or one holding it."""
    output: Path = args.output or Path(".lambdabox") / "out" / name
    source, out = args.source.resolve(), output.resolve()
    if source.is_dir() and (out == source or out in source.parents):
        raise BuilderError(
            f"--output {output} is the code folder or holds it: the layout would be read back "
            "as code; write it elsewhere (e.g. the default .lambdabox/out/NAME)"
        )
    return output


def _build(
    args: argparse.Namespace,
    say: Callable[[str], None],
    resolve: Callable[[str, Cache], tuple[Image, str]] | None = None,
    recorded: Recorded | None = None,
) -> int:
    """One build; `recorded`: (the command, the base's index.json hash or the default
    base's input stats when resolved earlier) to record for the fast path, by default the
    console script's command."""
    started = time.monotonic()
    source: Path = args.source
    if not source.exists():
        raise BuilderError(f"{source} does not exist: pass the code folder or a .zip")
    name, tag = split_tag(args.tag, source)
    if args.dockerfile is not None:
        return _build_dockerfile(args, source, name, tag, say)
    if not args.handler:
        say("usage: --handler is required (e.g. --handler app.handler), or pass --dockerfile")
        return 2
    cache = Cache(args.cache) if args.cache else Cache.default()
    output = output_folder(args, name)
    taken = quick_snapshot(args, source, output, recorded, one_shot=resolve is None)
    phase = time.perf_counter()
    if resolve is not None:
        base, base_name = resolve(args.runtime, cache)
    else:
        with long_step(say, f"base image ({args.base or args.runtime})"):
            base, base_name = resolve_base(
                args.base, args.runtime, cache, say, platform=getattr(args, "platform", None)
            )
    phases = {"base_s": time.perf_counter() - phase}
    steps: list[Step] = []

    def progress(step: Step) -> None:
        steps.append(step)
        say(str(step))

    with long_step(say, "layers (dependencies, Lambda layers, code)"):
        image = build_function(
            source,
            base=base,
            handler=args.handler,
            requirements=args.requirements,
            layers=args.layer,
            env=_env(args.env),
            python_version=getattr(args, "python_version", None) or python_version(args.runtime),
            platform=getattr(args, "platform", "manylinux2014_x86_64"),
            build_sdists=args.build_sdists,
            bytecode=args.bytecode,
            cache=cache,
            progress=progress,
            base_name=base_name,
            pip_args=args.pip_arg,
            mtime=source_date_epoch(os.environ),
            say=say,
            skip=[output],
        )
    phase = time.perf_counter()
    write_layout(output, image, tag=tag)
    phases["layout_s"] = time.perf_counter() - phase
    say(f"wrote {output} ({name}:{tag}) {image.digest}")
    summary: dict[str, Any] = {
        "digest": str(image.digest),
        "image_id": str(image.config_digest),
        "output": str(output),
        "tag": f"{name}:{tag}",
        "base": {"name": base_name, "digest": str(base.digest), "layers": len(base.layers)},
        "layers": [step.to_dict() for step in steps],
        # where the time went: base resolution, each layer (cache check or build), the layout
        "phases": {
            "base_s": round(phases["base_s"], 5),
            **{f"{step.name}_s": round(step.seconds, 5) for step in steps},
            "layout_s": round(phases["layout_s"], 5),
        },
    }
    if taken is not None:
        quick_remember(taken, args, image, tag, cache, summary)
    if args.load:
        from ..export import DockerSDKExporter  # only here: docker and requests are slow to import

        with long_step(say, "loading into Docker"):
            DockerSDKExporter().export(output, tag, f"{name}:{tag}")
        say(f"loaded into Docker as {name}:{tag} (image ID {image.config_digest})")
        summary["loaded"] = f"{name}:{tag}"
    if args.push:
        from ..export import SkopeoExporter

        ref = args.push if args.push.startswith("docker://") else f"docker://{args.push}"
        with long_step(say, f"pushing to {ref}"):
            SkopeoExporter().export(output, tag, ref)
        say(f"pushed {ref} ({image.digest})")
        summary["pushed"] = ref
    summary["seconds"] = round(time.monotonic() - started, 3)
    if args.json:  # --watch: one line per build (JSON lines)
        print(json.dumps(summary, indent=None if resolve else 2), flush=True)
    return 0
