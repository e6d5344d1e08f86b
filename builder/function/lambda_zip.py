"""Lambda .zip deployment packages from the same inputs as a function image, deterministically.

Entries are sorted, every timestamp is 1980-01-01 00:00:00 (the earliest a zip can hold),
modes are fixed (folders 0755, files 0644 or 0755 when executable, symlinks kept as symlinks),
and the creator system is Unix; so the same code and dependencies give the same bytes.
"""

from __future__ import annotations

import stat
import tempfile
import zipfile
from collections.abc import Iterable
from pathlib import Path

from ..layers.entries import Entry, normalize
from ..layers.tree import IgnoreRules, entries_from_tree
from ..oci._atomic import TempFile
from ..oci.errors import BuilderError
from .dependencies import DependencySpec, Runner, SdistBuild, install_dependencies
from .dependencies import _run as _run_pip

__all__ = ["ZIP_DATE", "write_lambda_zip", "write_zip"]

ZIP_DATE = (1980, 1, 1, 0, 0, 0)
_UNIX = 3


def _info(entry: Entry) -> zipfile.ZipInfo:
    name = entry.path + ("/" if entry.kind == "dir" else "")
    info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
    info.create_system = _UNIX
    kind = {"dir": stat.S_IFDIR, "symlink": stat.S_IFLNK, "file": stat.S_IFREG}[entry.kind]
    info.external_attr = (kind | entry.mode) << 16
    if entry.kind == "dir":
        info.external_attr |= 0x10  # MS-DOS directory flag
    info.compress_type = zipfile.ZIP_DEFLATED if entry.kind == "file" else zipfile.ZIP_STORED
    return info


def write_zip(entries: Iterable[Entry], out: Path) -> None:
    """Write `entries` (checked and sorted by `normalize()`) as a zip at `out`, atomically."""
    placed = normalize(entries, "/")
    out.parent.mkdir(parents=True, exist_ok=True)
    with TempFile(out.parent) as temp:
        with zipfile.ZipFile(temp.file, "w") as archive:
            for entry in placed:
                info = _info(entry)
                if entry.kind == "symlink":
                    archive.writestr(info, entry.target.encode("utf-8"))
                elif entry.source is None:
                    archive.writestr(info, b"")
                else:
                    with entry.source.open() as src, archive.open(info, "w") as dst:
                        while chunk := src.read(1 << 20):
                            dst.write(chunk)
        temp.commit(out)


def write_lambda_zip(
    source: Path,
    out: Path,
    *,
    requirements: Path | None = None,
    python_version: str = "3.11",
    platform: str = "manylinux2014_x86_64",
    pip_args: Iterable[str] = (),
    run: Runner = _run_pip,
    build_sdist: SdistBuild | None = None,
    bytecode: bool = True,
) -> None:
    """The code folder `source` plus its dependencies (pip, as for images) as a .zip at `out`.

    `build_sdist` builds wheels of source-only requirements (see `sdists`).
    """
    if not source.is_dir():
        raise BuilderError(f"{source} is not a folder; pass the folder that holds the code")
    entries = entries_from_tree(source, skip=[out])  # a zip written there is not read back
    with tempfile.TemporaryDirectory(prefix="lambdabox-pip-") as temp:
        if requirements is not None:
            target = Path(temp) / "target"
            target.mkdir()
            spec = DependencySpec(
                requirements, python_version, platform, pip_args=tuple(pip_args), bytecode=bytecode
            )
            install_dependencies(spec, target, run=run, build_sdist=build_sdist)
            entries += entries_from_tree(target, IgnoreRules(()))  # pycs: ours
        write_zip(entries, out)
