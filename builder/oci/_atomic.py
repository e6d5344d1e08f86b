"""Atomic file writes: a temp file in the target's own folder, fsynced, then `os.replace`d."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from types import TracebackType

TEMP_PREFIX = ".tmp-"
"""Temp files start with this; a killed write may leave one behind, never a partial target."""


class TempFile:
    """`with TempFile(folder) as temp: temp.file.write(...); temp.commit(target)`.

    Leaving the block without `commit()` (e.g. on an exception) deletes the temp file.
    """

    def __init__(self, folder: Path) -> None:
        fd, name = tempfile.mkstemp(dir=folder, prefix=TEMP_PREFIX)
        self.path = Path(name)
        self.file = os.fdopen(fd, "wb")
        self._done = False

    def commit(self, target: Path) -> None:
        """Make the content durable and move it to `target` (same folder), replacing it."""
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        os.chmod(self.path, 0o644)
        os.replace(self.path, target)
        self._done = True

    def discard(self) -> None:
        if not self._done:
            self.file.close()
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
            self._done = True

    def __enter__(self) -> TempFile:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.discard()


def atomic_write(target: Path, data: bytes) -> None:
    """Replace `target` with `data`: readers see the old content or the new, never a mix."""
    with TempFile(target.parent) as temp:
        temp.file.write(data)
        temp.commit(target)


def fsync_folder(folder: Path) -> None:
    """Make renames in `folder` durable before something that depends on them is written."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
