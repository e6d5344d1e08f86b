"""The runtime interface layer's entries (layer 3 of every base image).

`/lambda-entrypoint.sh`, `/var/task` and `/var/runtime` in every image; in Python images
also `/var/runtime/bootstrap`, `/usr/local/bin/aws-lambda-rie` (texts: `scripts`), this
repository's `runtime_interface` package under /var/runtime and the emulator (`lambdabox`
and `lambdabox.emulator`, without its docker-only `container/` folder) under /var/runtime/emulator,
outside the function's import path. Their bytecode is added by `bytecode`.

The entries' paths and source digests are part of `ensure_base`'s layout key.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from ..layers.entries import Entry
from .definition import BaseDefinition
from .scripts import PROVIDED_ENTRYPOINT, PYTHON_ENTRYPOINT, RIE_LAUNCHER, python_bootstrap

__all__ = ["REPO_ROOT", "bundled_folders", "runtime_interface_entries"]

REPO_ROOT = Path(__file__).resolve().parents[2]

# Emulator folders left out of the image: `container/` (the container driver and `lambdabox
# run`) needs docker.
_EMULATOR_EXCLUDE = ("container",)


def _source_files(package: Path, exclude: Sequence[str] = ()) -> list[Path]:
    """The package's sources, but for its subfolders named in `exclude`."""
    return sorted(
        p
        for p in package.rglob("*")
        if p.is_file()
        and "__pycache__" not in p.parts
        and p.suffix in (".py", ".typed")
        and p.relative_to(package).parts[0] not in exclude
    )


def bundled_folders(definition: BaseDefinition) -> list[Path]:
    """The folders `runtime_interface_entries` lists sources from (none for `provided`)."""
    if definition.python is None:
        return []
    folders = []
    for package, exclude in (
        (REPO_ROOT / "runtime_interface", ()),
        (REPO_ROOT / "lambdabox" / "emulator", _EMULATOR_EXCLUDE),
    ):
        for folder, subfolders, _files in os.walk(package):
            top = folder == str(package)
            subfolders[:] = sorted(
                name
                for name in subfolders
                if name != "__pycache__" and not (top and name in exclude)
            )
            folders.append(Path(folder))
    return folders


def runtime_interface_entries(definition: BaseDefinition) -> list[Entry]:
    """Layer 3: the entry point, the bootstrap, runtime_interface and (Python) the emulator."""
    entries = [Entry.directory("var/task"), Entry.directory("var/runtime")]
    if definition.python is None:
        entries.append(
            Entry.file("lambda-entrypoint.sh", PROVIDED_ENTRYPOINT.encode(), executable=True)
        )
        return entries
    entries += [
        Entry.file("lambda-entrypoint.sh", PYTHON_ENTRYPOINT.encode(), executable=True),
        Entry.file(
            "var/runtime/bootstrap",
            python_bootstrap(definition.python).encode(),
            executable=True,
        ),
        Entry.file("usr/local/bin/aws-lambda-rie", RIE_LAUNCHER.encode(), executable=True),
    ]
    ric = REPO_ROOT / "runtime_interface"
    for path in _source_files(ric):
        rel = path.relative_to(ric).as_posix()
        entries.append(
            Entry.from_file(f"var/runtime/runtime_interface/{rel}", path, executable=False)
        )
    lambdabox = REPO_ROOT / "lambdabox"
    entries.append(
        Entry.from_file(
            "var/runtime/emulator/lambdabox/__init__.py",
            lambdabox / "__init__.py",
            executable=False,
        )
    )
    emulator = lambdabox / "emulator"
    for path in _source_files(emulator, _EMULATOR_EXCLUDE):
        rel = path.relative_to(emulator).as_posix()
        entries.append(
            Entry.from_file(
                f"var/runtime/emulator/lambdabox/emulator/{rel}", path, executable=False
            )
        )
    return entries
