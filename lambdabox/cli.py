"""The `lambdabox` command line: one CLI, one subcommand per job.

Exit statuses (all commands):
    0   success
    1   the command ran and failed (the message says why and what to do)
    2   usage error (bad or missing arguments)
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from runtime_interface import __version__

EPILOG = """\
commands:
  emulate   run a runtime locally and serve the Lambda Invoke API for it (aws-lambda-rie drop-in)
  run       run a function image in hardened containers and serve the Lambda Invoke API for it
  invoke    invoke a function through the Invoke API and print the result and REPORT line
  build     build a function image (OCI layout) from code, requirements and layers; no Docker
  package   build a deterministic Lambda .zip from code and requirements
  rebase    move a built function image onto another base (a manifest edit)
  demo      run a sample function under the emulator and print its result
  runtime   run a handler with the runtime interface client (python -m runtime_interface)
  base      build the base images (python3.11, python3.13, python3.9, provided) from Debian

exit statuses: 0 success, 1 failure (message names the fix), 2 usage error.
The runtime interface client's own statuses are listed by `lambdabox runtime --help`.
"""


def _demo(args: argparse.Namespace) -> int:
    from lambdabox import demo

    return demo.main(json_output=args.json)


def _runtime(args: argparse.Namespace) -> int:
    from runtime_interface.__main__ import main as runtime_main

    return runtime_main(["runtime_interface", *([args.handler] if args.handler else [])])


def _emulate(args: argparse.Namespace) -> int:
    from lambdabox.emulator import cli as emulate_cli

    return emulate_cli.run(args)


def _run(args: argparse.Namespace) -> int:
    from lambdabox.emulator import run_cli

    return run_cli.run(args)


def _invoke(args: argparse.Namespace) -> int:
    from lambdabox import invoke

    return invoke.run(args)


def _build(args: argparse.Namespace) -> int:
    from builder import cli as builder_cli

    return builder_cli.run_build(args)


def _package(args: argparse.Namespace) -> int:
    from builder import cli as builder_cli

    return builder_cli.run_package(args)


def _rebase(args: argparse.Namespace) -> int:
    from builder import cli as builder_cli

    return builder_cli.run_rebase(args)


def _base(args: argparse.Namespace) -> int:
    from builder import base

    return base.run(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lambdabox",
        description="Lambda-style functions in container images: run, emulate, build, test.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"lambdabox {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    from lambdabox.emulator import cli as emulate_cli

    emulate = sub.add_parser(
        "emulate",
        help="run a runtime and serve the Lambda Invoke API for it",
        description=emulate_cli.DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    emulate_cli.add_arguments(emulate)
    emulate.set_defaults(func=_emulate)

    from lambdabox.emulator import run_cli

    run = sub.add_parser(
        "run",
        help="run a function image in containers and serve the Lambda Invoke API for it",
        description=run_cli.DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run_cli.add_arguments(run)
    run.set_defaults(func=_run)

    invoke = sub.add_parser(
        "invoke",
        help="invoke a function and print the result",
        description="POST an event to the Invoke API (the emulator's, or any compatible one) "
        "and print the result, the function error if any and the REPORT line.",
        epilog="exit statuses: 0 success, 1 function error or service error, 2 usage error.",
    )
    from lambdabox import invoke as invoke_cmd

    invoke_cmd.add_arguments(invoke)
    invoke.set_defaults(func=_invoke)

    from builder import cli as builder_cli

    build = sub.add_parser(
        "build",
        help="build a function image from code, requirements and layers",
        description=builder_cli.BUILD_DESCRIPTION,
        epilog=builder_cli.EXIT_STATUSES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    builder_cli.add_build_arguments(build)
    build.set_defaults(func=_build)

    package = sub.add_parser(
        "package",
        help="build a deterministic Lambda .zip",
        description="Zip the code folder and its dependencies (pip for the Lambda platform, "
        "wheels only) with sorted entries, 1980-01-01 timestamps and fixed permissions.",
        epilog=builder_cli.EXIT_STATUSES,
    )
    builder_cli.add_package_arguments(package)
    package.set_defaults(func=_package)

    rebase = sub.add_parser(
        "rebase",
        help="move a built function image onto another base",
        description="Replace the base layers of an image built by `lambdabox build` (known "
        "from its lambdabox.base.layers annotation) with those of --base; the function's "
        "own layers and config are kept, no layer is rebuilt.",
        epilog=builder_cli.EXIT_STATUSES,
    )
    builder_cli.add_rebase_arguments(rebase)
    rebase.set_defaults(func=_rebase)

    demo = sub.add_parser(
        "demo",
        help="run a sample function and print its result",
        description="Start a Runtime API, run the sample handler with the runtime interface "
        "client as a real process, invoke it twice and print the results.",
    )
    demo.add_argument("--json", action="store_true", help="print one JSON document")
    demo.set_defaults(func=_demo)

    runtime = sub.add_parser(
        "runtime",
        help="run a handler against AWS_LAMBDA_RUNTIME_API",
        description="Same as `python -m runtime_interface HANDLER`.",
        epilog="exit statuses: 1 init failed (reported to /init/error), 2 usage, "
        "64/65 SnapStart hook failed, 69 Runtime API unreachable.",
    )
    runtime.add_argument("handler", nargs="?", help="module.function (default: $_HANDLER)")
    runtime.set_defaults(func=_runtime)

    from builder import base

    base_cmd = sub.add_parser(
        "base",
        help="build the base images from Debian packages",
        description=base.DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="exit statuses: 0 success, 1 build failed (message names the fix), 2 usage error.",
    )
    base.add_arguments(base_cmd)
    base_cmd.set_defaults(func=_base)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
