"""The `lambdabox` console script: the fast paths of `build` and `emulate`, else the
command line.

`lambdabox build` of a code-only change is answered by `builder.quick` without importing
the command line (argparse, dataclasses, typing: more time than the build itself), and a
plain `lambdabox emulate` line is parsed by `lambdabox.emulator.quick` without argparse
(a cold start's first answer comes sooner). Every other command, and whatever a fast path
declines, runs `lambdabox.cli.main`. This module imports nothing at load time.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Run `lambdabox ARGV` (default: the process's arguments); the exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    from_build = args[:1] == ["build"]
    if from_build:
        from builder.quick import quick_build

        status = quick_build(args[1:])  # None: the full path runs, and records the build
        if status is not None:
            if argv is None:  # the process's own command: done, skip the interpreter's teardown
                _exit_now(status)
            return status
    if args[:1] in (["emulate"], ["run"], ["up"]):
        from lambdabox.emulator.startup import mark

        mark("interpreter started")  # the start-up phases begin before any other import
        from lambdabox.fastloop import register

        register()  # --event-loop uvloop
    if args[:1] == ["emulate"]:
        from lambdabox.emulator.quick import quick_emulate

        status = quick_emulate(args[1:])  # None: declined (help, a mistake): the full path
        if status is not None:
            return status
    from lambdabox.cli import main as cli_main

    try:
        return cli_main(args)
    finally:
        if from_build:
            from builder.quick import disarm

            disarm()


def _exit_now(status: int) -> None:
    """End the process with `status` at once. The fast path has closed every file it wrote
    and registered no exit handler; the interpreter's own teardown would cost more than the
    build (about 10 ms on a loaded machine)."""
    import os

    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


if __name__ == "__main__":
    sys.exit(main())
