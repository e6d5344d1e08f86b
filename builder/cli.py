"""Arguments and actions of `lambdabox build`, `lambdabox package` and `lambdabox rebase`.

Each command has `add_*_arguments(parser)` and `run_*(args) -> int`; `lambdabox/cli.py` wires
them. Configuration (SOURCE_DATE_EPOCH, LAMBDABOX_CACHE) is read here, at the edge. Exit
statuses: 0 success, 1 failure (the message names the fix), 2 usage error.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import re
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from .cache import Cache
from .errors import BuilderError
from .export import DockerSDKExporter, ExportError, SkopeoExporter
from .function import Step, build_function, rebase
from .function_package import write_lambda_zip
from .image import Image
from .oci_layout import read_layout, write_layout
from .reproducible import source_date_epoch
from .validate import validate_layout

__all__ = [
    "BUILD_DESCRIPTION",
    "add_build_arguments",
    "add_package_arguments",
    "add_rebase_arguments",
    "run_build",
    "run_package",
    "run_rebase",
]

BUILD_DESCRIPTION = """\
Build a function image from a code folder or a Lambda .zip, without Docker: the base, then
the dependencies (pip on this host for the Lambda platform, wheels only), each --layer under
/opt, then the code under /var/task. Unchanged layers come from the cache, so a code-only
change rebuilds one small layer. The result is an OCI image layout (default
.lambdabox/out/NAME); --load and --push copy it to the Docker daemon or a registry.

The base: --base DIR (an OCI layout), --base REF (an image in the Docker daemon, copied
once into the cache), or by default the lambdabox base image of --runtime.
"""
EXIT_STATUSES = "exit statuses: 0 success, 1 failure (the message names the fix), 2 usage error."
_RUNTIME = re.compile(r"python(3\.\d+)")


def _say(command: str) -> Any:
    """Progress lines on stderr (a spinner on long steps when stderr is a terminal)."""
    from lambdabox.progress import Status

    return Status(f"lambdabox {command}")


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--runtime", default="python3.11", help="python3.N (default: python3.11)")
    parser.add_argument("--requirements", type=Path, help="a pip requirements file")
    parser.add_argument(
        "--pip-arg",
        action="append",
        default=[],
        metavar="ARG",
        help="extra pip argument, e.g. --pip-arg=--no-index --pip-arg=--find-links=wheels/",
    )
    parser.add_argument(
        "--platform",
        default="manylinux2014_x86_64",
        help="wheel platform for the dependencies (default %(default)s; arm64: "
        "manylinux2014_aarch64)",
    )
    parser.add_argument(
        "--python-version", help="Python of the dependencies (default: from --runtime)"
    )
    parser.add_argument(
        "--build-sdists",
        action="store_true",
        help="build the wheels of requirements that ship only source distributions inside "
        "the base image (needs Docker; pure-Python sdists: base images have no compiler)",
    )


def add_build_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "source", nargs="?", type=Path, default=Path("."), help="code folder or .zip (default: .)"
    )
    _add_common(parser)
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


def add_package_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "source", nargs="?", type=Path, default=Path("."), help="code folder (default: .)"
    )
    _add_common(parser)
    parser.add_argument(
        "-o", "--output", type=Path, help="the .zip to write (default .lambdabox/out/NAME.zip)"
    )
    parser.add_argument(
        "--base",
        help="with --build-sdists: the image sdists are built in (OCI layout folder or image "
        "REF; default: the lambdabox base image of --runtime)",
    )


def add_rebase_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("layout", type=Path, help="OCI layout written by `lambdabox build`")
    parser.add_argument("--base", required=True, help="new base: OCI layout folder or image REF")
    parser.add_argument("-t", "--tag", help="the image's tag in the layout (default: its only one)")
    parser.add_argument("--cache", type=Path, help="cache for daemon bases ($LAMBDABOX_CACHE)")
    parser.add_argument("--json", action="store_true", help="print a JSON summary on stdout")


def _python_version(runtime: str) -> str:
    match = _RUNTIME.fullmatch(runtime)
    if match is None:
        raise BuilderError(f"runtime {runtime!r}: use python3.N, e.g. python3.11")
    return match.group(1)


def _split_tag(tag: str | None, source: Path) -> tuple[str, str]:
    if not tag:
        name = re.sub(r"[^a-z0-9._-]+", "-", source.resolve().stem.lower()).strip("-._")
        return name or "function", "latest"
    repository, _, version = tag.rpartition(":")
    if not repository or "/" in version:
        return tag, "latest"
    return repository, version


def _env(items: Sequence[str]) -> dict[str, str]:
    env = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise BuilderError(f"--env {item!r}: use KEY=VALUE")
        env[key] = value
    return env


def _daemon_image_id(ref: str) -> str:
    try:
        import docker  # type: ignore[import-untyped]

        client = docker.from_env()
        try:
            return str(client.images.get(ref).id)
        finally:
            client.close()
    except Exception as exc:
        if type(exc).__module__.split(".")[0] not in ("docker", "requests", "urllib3"):
            raise
        raise BuilderError(
            f"--base {ref}: not a folder, and the Docker daemon has no such image ({exc}); "
            "pass an OCI layout folder or a local image NAME:TAG"
        ) from exc


def _daemon_base(ref: str, cache: Cache) -> Path:
    """The daemon image `ref` as an OCI layout in the cache, copied once per image ID."""
    image_id = _daemon_image_id(ref)
    folder = cache.root / "bases" / hashlib.sha256(image_id.encode()).hexdigest()[:32]
    if (folder / "index.json").is_file():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder.parent, prefix=".tmp-") as temp:
        argv = ["skopeo", "copy", "--quiet", f"docker-daemon:{ref}", f"oci:{temp}/base:base"]
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise ExportError(
                "skopeo", argv, done.returncode, done.stderr.strip()[-2000:], "is skopeo installed?"
            )
        os.replace(Path(temp) / "base", folder)
    return folder


def _resolve_base(
    base: str | None,
    runtime: str,
    cache: Cache,
    say: Callable[[str], None] | None = None,
    *,
    platform: str | None = None,
) -> tuple[Image, str]:
    """`--base` as an image and its name; by default the base of `runtime` for `platform`.

    The default base has the architecture the wheel `platform` names (manylinux2014_aarch64:
    the arm64 base, named e.g. python3.11-arm64; x86_64: amd64), else this machine's.
    """
    if base is None:
        from .base import ensure_base
        from .base_arch import arch_of_platform

        arch = arch_of_platform(platform) if platform else None
        # built on first use (about 20 s; arm64 on x86_64 through qemu, longer)
        made: Any = ensure_base(runtime, cache, say, arch=arch)
        image = made if isinstance(made, Image) else read_layout(Path(made))
        name = runtime if arch in (None, "amd64") else f"{runtime}-{arch}"
        return image, name
    path = Path(base)
    if path.is_dir():
        return read_layout(path), str(path.resolve())
    return read_layout(_daemon_base(base, cache)), base


def _fail(say: Callable[[str], None], exc: BuilderError) -> int:
    say(f"error: {exc}")
    return 1


@contextlib.contextmanager
def _step(say: Any, label: str) -> Iterator[None]:
    step = getattr(say, "step", None)
    if step is None:
        yield
        return
    with step(label):
        yield


def _build_dockerfile(
    args: argparse.Namespace, context: Path, name: str, tag: str, say: Callable[[str], None]
) -> int:
    """A user Dockerfile: Docker builds it; the result is exported like our builds."""
    from builder import dockerfile

    dockerfile_path: Path = args.dockerfile
    if not dockerfile_path.is_file():
        raise BuilderError(f"{dockerfile_path} is not a file: pass the Dockerfile's path")
    ref = f"{name}:{tag}"
    with _step(say, f"docker build ({'BuildKit' if args.buildkit else 'SDK'})"):
        if args.buildkit:
            image_id = dockerfile.build_with_buildkit(context, dockerfile_path, ref, say)
        else:
            image_id = dockerfile.build_with_sdk(context, dockerfile_path, ref, say)
    summary: dict[str, Any] = {"image_id": image_id, "tag": ref, "loaded": ref}
    if args.output is not None or args.push:
        output: Path = args.output or Path(".lambdabox") / "out" / name
        with _step(say, f"exporting to {output}"):
            dockerfile.export_from_daemon(ref, output, tag)
        image = read_layout(output, tag)
        summary.update({"digest": str(image.digest), "output": str(output)})
        if args.push:
            target = args.push if args.push.startswith("docker://") else f"docker://{args.push}"
            with _step(say, f"pushing to {target}"):
                SkopeoExporter().export(output, tag, target)
            summary["pushed"] = target
    say(f"built {ref} (image ID {image_id})")
    if args.json:
        print(json.dumps(summary, indent=2))
    return 0


def run_build(args: argparse.Namespace) -> int:
    say = _say("build")
    if getattr(args, "watch", False):
        return _watch(args, say)
    try:
        return _build(args, say)
    except BuilderError as exc:
        return _fail(say, exc)


def _watch(args: argparse.Namespace, say: Callable[[str], None]) -> int:
    """--watch: the base is resolved once; every change of the inputs builds again."""
    from .watch import watch

    if args.dockerfile is not None or not args.handler:
        say("usage: --watch needs --handler and cannot be used with --dockerfile")
        return 2
    inputs = [args.source, *args.layer, *([args.requirements] if args.requirements else [])]
    resolved: list[tuple[Image, str]] = []

    def base(runtime: str, cache: Cache) -> tuple[Image, str]:
        if not resolved:
            resolved.append(_resolve_base(args.base, runtime, cache, say, platform=args.platform))
        return resolved[0]

    watch(inputs, lambda: _build(args, say, base), say=say)
    return 0


def _build(
    args: argparse.Namespace,
    say: Callable[[str], None],
    resolve: Callable[[str, Cache], tuple[Image, str]] | None = None,
) -> int:
    started = time.monotonic()
    source: Path = args.source
    if not source.exists():
        raise BuilderError(f"{source} does not exist: pass the code folder or a .zip")
    name, tag = _split_tag(args.tag, source)
    if args.dockerfile is not None:
        return _build_dockerfile(args, source, name, tag, say)
    if not args.handler:
        say("usage: --handler is required (e.g. --handler app.handler), or pass --dockerfile")
        return 2
    cache = Cache(args.cache) if args.cache else Cache.default()
    if resolve is not None:
        base, base_name = resolve(args.runtime, cache)
    else:
        with _step(say, f"base image ({args.base or args.runtime})"):
            base, base_name = _resolve_base(
                args.base, args.runtime, cache, say, platform=getattr(args, "platform", None)
            )
    steps: list[Step] = []

    def progress(step: Step) -> None:
        steps.append(step)
        say(str(step))

    with _step(say, "layers (dependencies, Lambda layers, code)"):
        image = build_function(
            source,
            base=base,
            handler=args.handler,
            requirements=args.requirements,
            layers=args.layer,
            env=_env(args.env),
            python_version=getattr(args, "python_version", None) or _python_version(args.runtime),
            platform=getattr(args, "platform", "manylinux2014_x86_64"),
            build_sdists=args.build_sdists,
            cache=cache,
            progress=progress,
            base_name=base_name,
            pip_args=args.pip_arg,
            mtime=source_date_epoch(os.environ),
            say=say,
        )
    output: Path = args.output or Path(".lambdabox") / "out" / name
    write_layout(output, image, tag=tag)
    say(f"wrote {output} ({name}:{tag}) {image.digest}")
    summary: dict[str, Any] = {
        "digest": str(image.digest),
        "image_id": str(image.config_digest),
        "output": str(output),
        "tag": f"{name}:{tag}",
        "base": {"name": base_name, "digest": str(base.digest), "layers": len(base.layers)},
        "layers": [step.to_dict() for step in steps],
    }
    if args.load:
        with _step(say, "loading into Docker"):
            DockerSDKExporter().export(output, tag, f"{name}:{tag}")
        say(f"loaded into Docker as {name}:{tag} (image ID {image.config_digest})")
        summary["loaded"] = f"{name}:{tag}"
    if args.push:
        ref = args.push if args.push.startswith("docker://") else f"docker://{args.push}"
        with _step(say, f"pushing to {ref}"):
            SkopeoExporter().export(output, tag, ref)
        say(f"pushed {ref} ({image.digest})")
        summary["pushed"] = ref
    summary["seconds"] = round(time.monotonic() - started, 3)
    if args.json:  # --watch: one line per build (JSON lines)
        print(json.dumps(summary, indent=None if resolve else 2), flush=True)
    return 0


def run_package(args: argparse.Namespace) -> int:
    say = _say("package")
    try:
        source: Path = args.source
        name, _ = _split_tag(None, source)
        output: Path = args.output or Path(".lambdabox") / "out" / f"{name}.zip"
        sdists = None
        if args.build_sdists:
            from .sdist_build import SdistBuilder

            cache = Cache.default()
            base, base_name = _resolve_base(
                args.base, args.runtime, cache, say, platform=args.platform
            )
            sdists = SdistBuilder(
                base, cache=cache, pip_args=args.pip_arg, say=say, base_name=base_name
            )
        write_lambda_zip(
            source,
            output,
            requirements=args.requirements,
            python_version=getattr(args, "python_version", None) or _python_version(args.runtime),
            platform=getattr(args, "platform", "manylinux2014_x86_64"),
            pip_args=args.pip_arg,
            build_sdist=sdists,
        )
    except BuilderError as exc:
        return _fail(say, exc)
    say(f"wrote {output} ({output.stat().st_size} bytes)")
    return 0


def run_rebase(args: argparse.Namespace) -> int:
    say = _say("rebase")
    try:
        layout: Path = args.layout
        if not layout.is_dir():
            raise BuilderError(f"{layout} is not a folder: pass the OCI layout to rebase")
        image = read_layout(layout, args.tag)
        tag = args.tag or _only_tag(layout)
        cache = Cache(args.cache) if args.cache else Cache.default()
        new_base, base_name = _resolve_base(args.base, "", cache)
        rebased = rebase(image, new_base, base_name=base_name)
        write_layout(layout, rebased, tag=tag)
        validate_layout(layout, tag)
    except BuilderError as exc:
        return _fail(say, exc)
    say(f"{layout}:{tag} now on {base_name}: {image.digest} -> {rebased.digest}")
    if args.json:
        print(json.dumps({"digest": str(rebased.digest), "previous": str(image.digest)}))
    return 0


def _only_tag(layout: Path) -> str:
    from .manifest import ANNOTATION_REF_NAME, Index

    index = Index.from_json((layout / "index.json").read_bytes())
    return index.manifests[0].annotations.get(ANNOTATION_REF_NAME, "latest")
