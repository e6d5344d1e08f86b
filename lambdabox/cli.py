"""The `lambdabox` command line: one CLI, one subcommand per job.

Each command lives in its own module; only the module of the command being run is
imported (so `lambdabox build` does not pay for the emulator, nor `invoke` for docker).
The console script (`lambdabox.console`) tries the code-only fast path of `build` first
and comes here for everything else.

Exit statuses (all commands):
    0   success
    1   the command ran and failed (the message says why and what to do)
    2   usage error (bad or missing arguments)
"""

from __future__ import annotations

from lambdabox.emulator.startup import mark

mark("interpreter started")  # before this module's own imports: the rest is imports

import argparse  # noqa: E402
import importlib  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from typing import Any  # noqa: E402

from runtime_interface import __version__  # noqa: E402

EXIT_STATUSES = "exit statuses: 0 success, 1 failure (the message names the fix), 2 usage error."


@dataclass(frozen=True)
class Command:
    """A subcommand: its module provides `add`(parser), `run`(args) and a description."""

    name: str
    help: str
    module: str
    add: str = "add_arguments"
    run: str = "run"
    description: str = "DESCRIPTION"  # an attribute of the module, or the text itself
    epilog: str = EXIT_STATUSES


COMMANDS = (
    Command(
        "emulate",
        "run a runtime locally and serve the Lambda Invoke API for it (aws-lambda-rie drop-in)",
        "lambdabox.emulator.cli",
        epilog="",
    ),
    Command(
        "run",
        "run a function image in hardened containers and serve the Invoke API",
        "lambdabox.emulator.container.cli",
        epilog="",
    ),
    Command(
        "invoke",
        "invoke a function through the Invoke API; print result and REPORT",
        "lambdabox.invoke",
        epilog="exit statuses: 0 success, 1 function error or service error, 2 usage error.",
    ),
    Command(
        "build",
        "build a function image (OCI layout) from code, requirements and layers",
        "builder.cli.build",
        add="add_build_arguments",
        run="run_build",
        description="BUILD_DESCRIPTION",
    ),
    Command(
        "package",
        "build a deterministic Lambda .zip from code and requirements",
        "builder.cli.package",
        add="add_package_arguments",
        run="run_package",
        description="Zip the code folder and its dependencies (pip for the Lambda platform, "
        "wheels only) with sorted entries, 1980-01-01 timestamps and fixed permissions.",
    ),
    Command(
        "rebase",
        "move a built function image onto another base (a manifest edit)",
        "builder.cli.rebase",
        add="add_rebase_arguments",
        run="run_rebase",
        description="Replace the base layers of an image built by `lambdabox build` (known "
        "from its lambdabox.base.layers annotation) with those of --base; the function's "
        "own layers and config are kept, no layer is rebuilt.",
    ),
    Command(
        "base",
        "build the base images (python3.11, python3.13, python3.9, provided)",
        "builder.cli.base",
    ),
    Command(
        "up",
        "run a SAM application: every function, its HTTP routes, schedules and queues",
        "lambdabox.app.up_cli",
        epilog="",
    ),
    Command("init", "create a function project from a blueprint", "lambdabox.blueprints.cli"),
    Command(
        "schedule",
        "print the next fire times of a cron()/rate()/at() schedule expression",
        "lambdabox.triggers.schedule.cli",
        epilog="",
    ),
    Command(
        "event", "print a sample event for a trigger (edit it with --set)", "lambdabox.events.cli"
    ),
    Command(
        "demo", "run the sample function under the emulator and print its results", "lambdabox.demo"
    ),
    Command(
        "runtime",
        "run a handler with the runtime interface client (python -m runtime_interface)",
        "lambdabox.runtime_cmd",
        epilog="exit statuses: 1 init failed (reported to /init/error), 2 usage, "
        "64/65 SnapStart hook failed, 69 Runtime API unreachable.",
    ),
)
_BY_NAME = {command.name: command for command in COMMANDS}


class Formatter(argparse.RawDescriptionHelpFormatter):
    """argparse's raw-description formatter, as wide as the terminal without importing
    `shutil` (argparse makes a formatter for every option it adds, and `shutil` drags in
    the compression modules: a few ms of every start-up). Same width rule as
    `shutil.get_terminal_size`: $COLUMNS, else the terminal of stdout, else 80; less 2."""

    def __init__(
        self,
        prog: str,
        indent_increment: int = 2,
        max_help_position: int = 24,
        width: int | None = None,
    ) -> None:
        if width is None:
            width = _columns() - 2
        super().__init__(prog, indent_increment, max_help_position, width)


def _columns() -> int:
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns > 0:
        return columns
    stdout = sys.__stdout__
    try:
        columns = os.get_terminal_size(stdout.fileno()).columns if stdout else 0
    except (AttributeError, ValueError, OSError):
        columns = 0
    return columns or 80


def _epilog() -> str:
    width = max(len(c.name) for c in COMMANDS)
    lines = [f"  {c.name:<{width}}  {c.help}" for c in COMMANDS]
    return (
        "commands:\n"
        + "\n".join(lines)
        + "\n\n"
        + EXIT_STATUSES
        + ("\n`lambdabox COMMAND --help` teaches each command.")
    )


def _configure(sub: Any, command: Command) -> None:
    module = importlib.import_module(command.module)
    description = getattr(module, command.description, command.description)
    parser = sub.add_parser(
        command.name,
        help=command.help,
        description=description,
        epilog=command.epilog or None,
        formatter_class=Formatter,
    )
    getattr(module, command.add)(parser)
    parser.set_defaults(func=getattr(module, command.run))


def build_parser(only: str | None = None, alone: bool = False) -> argparse.ArgumentParser:
    """The parser; with `only`, just that command is configured (the others are listed,
    or with `alone` left out: for a command line that starts with it, where no other
    command can show up in a message)."""
    parser = argparse.ArgumentParser(
        prog="lambdabox",
        description="Lambda-style functions in container images: run, emulate, build, test.",
        epilog=_epilog(),
        formatter_class=Formatter,
    )
    parser.add_argument("--version", action="version", version=f"lambdabox {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        if only is None or command.name == only:
            _configure(sub, command)
        elif not alone:
            sub.add_parser(command.name, help=command.help)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    mark("command line imported")
    args_list = list(sys.argv[1:] if argv is None else argv)
    wanted = next((a for a in args_list if not a.startswith("-")), None)
    known = wanted if wanted in _BY_NAME else None
    parser = build_parser(known, alone=known is not None and args_list[0] == known)
    args = parser.parse_args(args_list)
    mark("arguments parsed")
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
