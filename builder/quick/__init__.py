"""The code-only fast path of `lambdabox build`: rebuild the code layer, nothing else.

`quick_build(argv)` runs before the command line is parsed, from the console script
(`lambdabox.console`). When the previous full build of the same command wrote a build record
into the output layout (`record`), and nothing but the code folder changed since (the same
arguments, working folder, environment, interpreter, builder sources, requirements, base
layout (--base DIR, or the default base: its definition, bundled sources and cached
layout) and layer cache entries), it writes the new code layer, config, manifest and
index.json straight into the layout (`tarball`, `emit`) and returns the exit status. For
anything else it returns None and the full path runs, with its own messages: any flag it
does not know (`locate`), a missing or damaged record, a changed input, an error.

The record holds the previous image's config, manifest and index.json as templates with
slots for the code layer's identity, made by the full path (`capture`) from the very bytes
it wrote, so both paths give byte-identical layouts. What runs on the fast path imports
only `os`, `sys`, `marshal`, `zlib` and `_sha256` (no dataclasses, typing, pathlib,
argparse or tarfile: the imports would cost more than the build); its values are plain
tuples and dicts for that reason. This package may import `builder.layers` and
`builder.oci` (lazily, only `capture` and the rare paths do) and nothing above them.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["armed", "disarm", "quick_build"]

_ARMED: list[tuple[str, ...]] = []


def armed() -> tuple[str, ...] | None:
    """The arguments of `lambdabox build` when the console script fell back to the full path
    (the full path then records the build for the next fast one), else None."""
    return _ARMED[-1] if _ARMED else None


def disarm() -> None:
    """The full path has run: later builds in this process are not recorded."""
    _ARMED.clear()


def quick_build(argv: Sequence[str]) -> int | None:
    """Run `lambdabox build ARGV` on the fast path; None when the full path must run."""
    from .build import run

    status = run(tuple(argv))
    _ARMED.clear()
    if status is None:
        _ARMED.append(tuple(argv))
    return status
