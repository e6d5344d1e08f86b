"""The code folder's entries, with the ignore decisions the full path made for each name.

A name the record has no decision for (a new or renamed file) is decided by the full
path's own rules (`builder.layers.tree.IgnoreRules`, imported only then). The walk gives up
(None) where the full path would fail or decide differently: a name that is not UTF-8 or
holds a backslash, a socket or device, a symlink set other than the one the full path
checked, the opaque whiteout's own name at the top.
"""

from __future__ import annotations

import os

__all__ = ["OPAQUE", "code_entries"]

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from .tarball import Entry

    Decide = Callable[[str, bool], bool]

OPAQUE = ".wh..wh..opq"


class _GiveUp(Exception):
    pass


def _rules(source: str, output: str) -> Decide:
    from pathlib import Path

    from ..layers.tree import IgnoreRules

    return IgnoreRules.for_tree(Path(source), [Path(output)]).ignores


def code_entries(
    source: str,
    output: str,
    decisions: dict[tuple[str, bool], bool],
    symlinks: dict[str, str],
    opaque: bool,
    prefix: str,
) -> list[Entry] | None:
    """The layer's entries under `prefix` (parents first, sorted as the full path sorts
    them), or None when the full path must decide. Decisions made for new names are added
    to `decisions` (the caller records them)."""
    found: list[tuple[tuple[str, ...], Entry]] = []
    links: dict[str, str] = {}
    rules: list[Decide] = []

    def ignored(path: str, is_dir: bool) -> bool:
        known = decisions.get((path, is_dir))
        if known is not None:
            return known
        if not rules:
            rules.append(_rules(source, output))
        decided = decisions[(path, is_dir)] = rules[0](path, is_dir)  # kept in the record
        return decided

    def walk(folder: str, rel: str) -> None:
        with os.scandir(folder) as scan:
            items = sorted(scan, key=lambda item: item.name)
        for item in items:
            name = item.name
            if "\\" in name or not _utf8(name):
                raise _GiveUp
            path = rel + name
            is_dir = item.is_dir(follow_symlinks=False)
            if ignored(path, is_dir):
                continue
            placed = f"{prefix}/{path}"
            parts = tuple(placed.split("/"))
            if item.is_symlink():
                target = os.readlink(item.path)
                links[path] = target
                found.append((parts, (placed, "symlink", 0o777, target, "", 0)))
            elif is_dir:
                found.append((parts, (placed, "dir", 0o755, "", "", 0)))
                walk(item.path, path + "/")
            elif item.is_file(follow_symlinks=False):
                stat = item.stat(follow_symlinks=False)
                mode = 0o755 if stat.st_mode & 0o111 else 0o644
                found.append((parts, (placed, "file", mode, "", item.path, stat.st_size)))
            else:
                raise _GiveUp

    try:
        walk(source, "")
    except (_GiveUp, OSError):
        return None
    if links != symlinks or (opaque and any(e[1][0] == f"{prefix}/{OPAQUE}" for e in found)):
        return None
    if opaque:
        found.append(
            ((*prefix.split("/"), OPAQUE), (f"{prefix}/{OPAQUE}", "file", 0o644, "", "", 0))
        )
    parents = prefix.split("/")
    for depth in range(1, len(parents) + 1):
        found.append((tuple(parents[:depth]), ("/".join(parents[:depth]), "dir", 0o755, "", "", 0)))
    found.sort(key=lambda pair: pair[0])
    return [entry for _, entry in found]


def _utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
