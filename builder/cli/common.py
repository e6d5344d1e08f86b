"""What `lambdabox build`, `package` and `rebase` share: progress, arguments, small parsers.

`say_for(command)` gives the progress lines ("lambdabox build: ..." on stderr); `long_step` runs
a block as one long step of it; `fail` reports a BuilderError (exit status 1).
`add_common_arguments` adds the dependency options of `build` and `package` (--runtime,
--requirements, --pip-arg, --platform, --python-version, --build-sdists); `python_version`
reads the Python version from --runtime, `split_tag` the image name and tag from --tag.
"""

from __future__ import annotations

import argparse
import contextlib
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ..oci.errors import BuilderError

__all__ = [
    "add_common_arguments",
    "fail",
    "long_step",
    "python_version",
    "say_for",
    "split_tag",
]

_RUNTIME = re.compile(r"python(3\.\d+)")


def say_for(command: str) -> Any:
    """Progress lines on stderr (a spinner on long steps when stderr is a terminal)."""
    from lambdabox.progress import Status

    return Status(f"lambdabox {command}")


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    """The dependency options of `build` and `package`."""
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
    parser.add_argument(
        "--no-bytecode",
        dest="bytecode",
        action="store_false",
        help="do not ship the dependencies' .pyc files (by default they are compiled when "
        "this Python is the target's version: cold starts then skip compiling them)",
    )


def python_version(runtime: str) -> str:
    """The Python version of --runtime python3.N (3.11 for python3.11), else BuilderError."""
    match = _RUNTIME.fullmatch(runtime)
    if match is None:
        raise BuilderError(f"runtime {runtime!r}: use python3.N, e.g. python3.11")
    return match.group(1)


def split_tag(tag: str | None, source: Path) -> tuple[str, str]:
    """(name, tag) from --tag NAME[:TAG]; without it, the source's name and "latest"."""
    if not tag:
        name = re.sub(r"[^a-z0-9._-]+", "-", source.resolve().stem.lower()).strip("-._")
        return name or "function", "latest"
    repository, _, version = tag.rpartition(":")
    if not repository or "/" in version:
        return tag, "latest"
    return repository, version


def fail(say: Callable[[str], None], exc: BuilderError) -> int:
    """Report `exc` as an error line; exit status 1."""
    say(f"error: {exc}")
    return 1


@contextlib.contextmanager
def long_step(say: Any, label: str) -> Iterator[None]:
    """The block as one long step of `say` (a spinner on a terminal), if `say` has steps."""
    step = getattr(say, "step", None)
    if step is None:
        yield
        return
    with step(label):
        yield
