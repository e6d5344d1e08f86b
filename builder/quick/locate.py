"""Where `lambdabox build ARGV` writes, read from the arguments without argparse.

Only the exact spellings `lambdabox build --help` lists are understood; anything else (an
abbreviation, a flag added later, `--watch`, `--load`, `--push`, `--dockerfile`, `--layer`,
a .zip or a second positional) returns None and the full path parses the arguments. The
default output and name follow `builder.cli.common.split_tag` and `build.output_folder`.
"""

from __future__ import annotations

import os

__all__ = ["Located", "locate"]

TYPE_CHECKING = False
if TYPE_CHECKING:
    Located = tuple[str, str, str, str, bool]
    """(source folder, output folder (absolute), image name, tag, --json)."""

_VALUES = {
    "--runtime",
    "--requirements",
    "--pip-arg",
    "--platform",
    "--python-version",
    "--handler",
    "--tag",
    "--env",
    "--base",
    "--output",
    "--cache",
}
_FLAGS = {"--no-bytecode", "--json"}
# --build-sdists, --dockerfile, --buildkit, --layer, --load, --push, --watch, --help: full path
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789._-")


def _stem(path: str) -> str:
    name = os.path.basename(path.rstrip("/")) if path != "/" else ""
    dot = name.rfind(".")
    return name[:dot] if 0 < dot < len(name) - 1 else name


def default_name(source: str) -> str:
    """The image name without --tag: the code folder's name, lower case, [a-z0-9._-]."""
    stem = _stem(os.path.realpath(source)).lower()
    out: list[str] = []
    for char in stem:
        if char in _NAME_CHARS:
            out.append(char)
        elif not out or out[-1] != "\0":
            out.append("\0")  # a run of other characters becomes one '-'
    name = "".join(out).replace("\0", "-").strip("-._")
    return name or "function"


def locate(argv: tuple[str, ...]) -> Located | None:
    """The output, name, tag and --json of `build ARGV`, or None when the fast path can't tell."""
    values: dict[str, str] = {}
    flags: set[str] = set()
    positional: list[str] = []
    i = 0
    while i < len(argv):
        token = argv[i]
        i += 1
        if token == "--":
            positional += argv[i:]
            break
        if token.startswith("--"):
            name, eq, value = token.partition("=")
            if name in _VALUES:
                if not eq:
                    if i >= len(argv):
                        return None
                    value = argv[i]
                    i += 1
                values[name] = value
            elif name in _FLAGS and not eq:
                flags.add(name)
            else:
                return None
        elif token.startswith("-") and token != "-":
            if not token.startswith("-t"):
                return None
            if token == "-t":
                if i >= len(argv):
                    return None
                values["--tag"] = argv[i]
                i += 1
            else:
                values["--tag"] = token[2:]
        else:
            positional.append(token)
    if len(positional) > 1 or "--handler" not in values:
        return None
    source = positional[0] if positional else "."
    if not os.path.isdir(source):
        return None  # a .zip, or missing: the full path says what to do
    tag_option = values.get("--tag")
    if tag_option:
        repository, _, version = tag_option.rpartition(":")
        name, tag = (
            (tag_option, "latest") if not repository or "/" in version else (repository, version)
        )
    else:
        name, tag = default_name(source), "latest"
    output = values.get("--output") or os.path.join(".lambdabox", "out", name)
    return source, os.path.abspath(output), name, tag, "--json" in flags
