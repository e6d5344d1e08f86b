"""`lambdabox init`: create a function project from a blueprint."""

from __future__ import annotations

import argparse
import sys

from lambdabox import blueprints

DESCRIPTION = """\
Create a function project in DIR/NAME from a blueprint: app.py with a handler for the
trigger, tests/test_app.py that runs it as Lambda would (with the lambdabox pytest plugin
and the trigger's sample event), event.json, requirements.txt and a README.

examples:
  lambdabox init --list
  lambdabox init thumbnails --blueprint s3-event
  lambdabox init orders-api --blueprint http-api --directory functions
  cd thumbnails && pytest && lambdabox build . --handler app.handler -t thumbnails:dev --load

NAME names the directory and the image (NAME:dev in the README): lowercase letters and
digits, separated by '.', '_' or '-'. An existing DIR/NAME must be empty.
exit statuses: 0 created, 1 DIR/NAME exists and is not empty (or cannot be written),
2 usage error."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", nargs="?", metavar="NAME", help="the project (and image) name")
    parser.add_argument(
        "--blueprint",
        "-b",
        default="hello",
        metavar="BLUEPRINT",
        help=f"one of {', '.join(blueprints.names())} (default %(default)s)",
    )
    parser.add_argument(
        "--directory",
        "-d",
        default=".",
        metavar="DIR",
        help="where to create NAME/ (default: the current directory)",
    )
    parser.add_argument(
        "--list", action="store_true", help="print the blueprints, one per line, and exit"
    )


def run(args: argparse.Namespace) -> int:
    if args.list:
        for name in blueprints.names():
            sys.stdout.write(f"{name}\t{blueprints.describe(name)}\n")
        return 0
    if not args.name:
        sys.stderr.write("lambdabox init: name the project: lambdabox init NAME [--blueprint B]\n")
        return 2
    try:
        project = blueprints.create(args.name, args.blueprint, args.directory)
    except blueprints.ProjectExists as exc:
        sys.stderr.write(f"lambdabox init: {exc}\n")
        return 1
    except blueprints.BlueprintError as exc:
        sys.stderr.write(f"lambdabox init: {exc}\n")
        return 2
    except OSError as exc:
        sys.stderr.write(f"lambdabox init: cannot write the project: {exc}\n")
        return 1
    files = sorted(p.relative_to(project).as_posix() for p in project.rglob("*") if p.is_file())
    out = [f"created {project} from the {args.blueprint} blueprint:"]
    out += [f"  {f}" for f in files]
    out += [
        "next:",
        f"  cd {project}",
        "  pytest",
        f"  lambdabox build . --handler app.handler -t {args.name}:dev --load",
        f"  lambdabox run {args.name}:dev   # then: lambdabox invoke --event event.json",
    ]
    sys.stdout.write("\n".join(out) + "\n")
    return 0
