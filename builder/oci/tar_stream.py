"""A write-only PAX tar stream into any `write()` sink: layer tars and docker archives."""

from __future__ import annotations

import io
import tarfile
from typing import TYPE_CHECKING

from .digest import Writable

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

__all__ = ["open_tar_stream"]


def open_tar_stream(out: Writable) -> tarfile.TarFile:
    """A write-only PAX tar stream into `out` (no seeking, so any sink will do)."""
    return tarfile.open(fileobj=_Forward(out), mode="w|", format=tarfile.PAX_FORMAT)


class _Forward(io.RawIOBase):
    """A write-only file object over any `write()` sink, as `tarfile` wants one."""

    def __init__(self, sink: Writable) -> None:
        super().__init__()
        self._sink = sink

    def writable(self) -> bool:
        return True

    def write(self, data: ReadableBuffer, /) -> int:
        self._sink.write(bytes(data))
        return memoryview(data).nbytes
