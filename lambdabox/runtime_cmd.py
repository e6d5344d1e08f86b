"""`lambdabox runtime HANDLER`: the runtime interface client, as `python -m runtime_interface`."""

from __future__ import annotations

import argparse

DESCRIPTION = "Same as `python -m runtime_interface HANDLER` (the handler defaults to $_HANDLER)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("handler", nargs="?", help="module.function (default: $_HANDLER)")


def run(args: argparse.Namespace) -> int:
    from runtime_interface.__main__ import main as runtime_main

    return runtime_main(["runtime_interface", *([args.handler] if args.handler else [])])
