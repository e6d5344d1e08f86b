"""Reading a source folder into layer entries, minus what `.lambdaboxignore` excludes.

Always skipped: `.git`, `.venv`, `__pycache__/`, `*.pyc`, `.lambdaboxignore` itself and, at the
root, `.lambdabox/` (where `lambdabox build` run in the code folder writes its output). The file
`.lambdaboxignore` at the tree root adds gitignore-style patterns, one a line:

    build/          a folder named build, at any depth (trailing / = folders only)
    *.log           any file or folder whose name matches, at any depth
    docs/draft.md   a path from the tree root (a pattern with a / in it is anchored)
    /Makefile       only the Makefile at the root
    **/fixtures     any depth; `dir/**` is everything inside dir
    !keep.log       negation: re-include (the last matching pattern wins)
    # comment       blank lines and lines starting with # are ignored
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..oci.errors import BuilderError, UnsafePathError
from .entries import Entry, FileSource

__all__ = ["DEFAULT_IGNORES", "IGNORE_FILE", "IgnoreRules", "entries_from_tree"]

IGNORE_FILE = ".lambdaboxignore"
DEFAULT_IGNORES = (".git", ".venv", "__pycache__/", "*.pyc", f"/{IGNORE_FILE}", "/.lambdabox/")


@dataclass(frozen=True)
class _Rule:
    regex: re.Pattern[str]
    negated: bool
    folders_only: bool


class IgnoreRules:
    """Gitignore-style patterns; `ignores(path, is_dir)` applies them, last match wins."""

    def __init__(
        self, patterns: Iterable[str] = DEFAULT_IGNORES, exact: Iterable[str] = ()
    ) -> None:
        self.patterns = tuple(patterns)
        self.exact = frozenset(exact)
        """Tree-relative paths skipped whatever the patterns say (the build's own output)."""
        self._rules = [rule for rule in map(_compile, self.patterns) if rule is not None]

    @classmethod
    def for_tree(cls, root: Path, skip: Iterable[Path] = ()) -> IgnoreRules:
        """The default patterns, then those in `root/.lambdaboxignore` if it exists; and each
        of `skip` that lies inside `root` (an output written there is never read back)."""
        file = root / IGNORE_FILE
        lines = file.read_text(encoding="utf-8").splitlines() if file.is_file() else []
        return cls((*DEFAULT_IGNORES, *lines), _inside(root, skip))

    def ignores(self, path: str, is_dir: bool) -> bool:
        """Whether the tree-relative POSIX `path` is excluded."""
        if path in self.exact:
            return True
        ignored = False
        for rule in self._rules:
            if (is_dir or not rule.folders_only) and rule.regex.fullmatch(path):
                ignored = not rule.negated
        return ignored


@functools.lru_cache(maxsize=1024)  # --watch reads the rules at every change
def _compile(line: str) -> _Rule | None:
    pattern = line.rstrip()
    if not pattern or pattern.startswith("#"):
        return None
    negated = pattern.startswith("!")
    pattern = pattern[1:] if negated else pattern
    folders_only = pattern.endswith("/")
    pattern = pattern.rstrip("/")
    anchored = "/" in pattern
    regex = _glob(pattern.lstrip("/"))
    return _Rule(re.compile(regex if anchored else f"(?:.*/)?{regex}"), negated, folders_only)


def _glob(pattern: str) -> str:
    """A gitignore glob as a regex: `*` and `?` stop at `/`, `**` crosses folders."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[" and "]" in pattern[i + 2 :]:
            end = pattern.index("]", i + 2)
            body = pattern[i + 1 : end]
            out.append("[" + ("^" + body[1:] if body.startswith("!") else body) + "]")
            i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return "".join(out)


def _inside(root: Path, paths: Iterable[Path]) -> list[str]:
    """The tree-relative POSIX paths of those of `paths` strictly inside `root`."""
    top = os.path.realpath(root)
    found = []
    for path in paths:
        real = os.path.realpath(path)
        if real.startswith(top + os.sep):
            found.append(Path(os.path.relpath(real, top)).as_posix())
    return found


def entries_from_tree(
    root: Path, ignore: IgnoreRules | None = None, skip: Iterable[Path] = ()
) -> list[Entry]:
    """Every file, folder and symlink under `root` that `ignore` keeps, in sorted order;
    `skip` (with the default rules) names paths never to read, e.g. the build's output.

    Symlinks are kept as symlinks (never followed); `normalize()` later rejects those that
    point outside the tree. Sockets, FIFOs and devices raise UnsafePathError.
    """
    if not root.is_dir():
        raise BuilderError(f"{root} is not a folder; pass the folder that holds the code")
    rules = ignore if ignore is not None else IgnoreRules.for_tree(root, skip)
    entries: list[Entry] = []
    _walk(root, "", rules, entries)
    return entries


def _walk(folder: Path, prefix: str, rules: IgnoreRules, entries: list[Entry]) -> None:
    with os.scandir(folder) as scan:
        items = sorted(scan, key=lambda item: item.name)
    for item in items:
        path = prefix + item.name
        is_dir = item.is_dir(follow_symlinks=False)
        if rules.ignores(path, is_dir):
            continue
        if item.is_symlink():
            entries.append(Entry(path, "symlink", target=os.readlink(item.path), origin=item.path))
        elif is_dir:
            entries.append(Entry(path, "dir", origin=item.path))
            _walk(Path(item.path), path + "/", rules, entries)
        elif item.is_file(follow_symlinks=False):
            stat = item.stat(follow_symlinks=False)
            source = FileSource(Path(item.path), stat.st_size)
            entries.append(
                Entry(path, "file", bool(stat.st_mode & 0o111), source, origin=item.path)
            )
        else:
            raise UnsafePathError(
                item.path,
                "is not a regular file, folder or symlink",
                f"remove it or list it in {IGNORE_FILE}",
            )
