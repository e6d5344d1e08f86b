"""What makes `pip install --target`'s output deterministic (the tar itself is made so by the
core), for the dependency layer and the Lambda .zip:

  - `--no-compile`, and any `__pycache__/`/`*.pyc` removed: pip compiles nothing (the
    bytecode, when made, comes from `bytecode`, reproducibly);
  - `bin/` removed: console scripts embed the host interpreter's path in their shebang, and
    a function never runs them;
  - `*.dist-info/direct_url.json` removed (it names the download URL or local path);
  - `*.dist-info/RECORD` rewritten without the rows of the removed files (rows are kept in
    pip's order, which depends only on the wheel).
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

__all__ = ["clean_install"]


def clean_install(target: Path) -> None:
    """Remove what depends on the host or the moment (see module doc) and fix up RECORDs."""
    removed: set[str] = set()
    for path in sorted(target.rglob("*"), reverse=True):
        relative = path.relative_to(target).as_posix()
        parts = relative.split("/")
        doomed = (
            parts[0] == "bin"
            or "__pycache__" in parts
            or path.suffix == ".pyc"
            or (path.name == "direct_url.json" and parts[0].endswith(".dist-info"))
        )
        if not doomed:
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.exists() or path.is_symlink():
            path.unlink()
        removed.add(relative)
    for record in sorted(target.glob("*.dist-info/RECORD")):
        _rewrite_record(record, target, removed)


def _rewrite_record(record: Path, target: Path, removed: set[str]) -> None:
    rows = list(csv.reader(io.StringIO(record.read_text(encoding="utf-8"))))
    kept = []
    for row in rows:
        if not row:
            continue
        resolved = (target / row[0]).resolve()
        try:
            relative = resolved.relative_to(target.resolve()).as_posix()
        except ValueError:  # e.g. ../../bin/x when installed with a prefix
            continue
        if relative in removed or any(relative.startswith(r + "/") for r in removed):
            continue
        kept.append(row)
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(kept)
    record.write_text(out.getvalue(), encoding="utf-8")
