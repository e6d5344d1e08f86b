"""Large payloads without page-fault churn: glibc's malloc keeps big buffers mapped.

By default glibc serves allocations above 128 KiB (a threshold that rises as blocks are
freed) with fresh `mmap()`s, and returns free memory at the top of the heap to the kernel.
So every invocation that moves a megabyte allocates its buffers (the body, its text, the
result's JSON, its bytes), faults their pages in and releases them again: about 0.8 ms per
MB on the machines measured. The first time a payload of `LARGE` bytes or more goes
through, `tune()` raises M_MMAP_THRESHOLD to 32 MiB and M_TRIM_THRESHOLD to 64 MiB, so those
buffers are reused from the heap (1 MB echoes: about +35 % invokes/s). An execution
environment runs one function within a fixed memory size, and freed memory is kept only up
to the peak already reached, so keeping it costs nothing that was not used before.

`ctypes` is imported only then (about 2 ms, once). Other C libraries (musl) or systems:
nothing changes.
"""

from __future__ import annotations

import os

LARGE = 256 * 1024
"""Payload size (bytes) from which the allocator is tuned."""

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_MMAP_THRESHOLD = 32 * 1024 * 1024  # glibc's maximum on 64-bit
_TRIM_THRESHOLD = 64 * 1024 * 1024

tuned = False
"""Whether `tune()` ran (it runs at most once)."""


def note(size: int) -> None:
    """A payload of `size` bytes went through: tune the allocator at the first large one."""
    if size >= LARGE and not tuned:
        tune()


def tune() -> bool:
    """Keep large buffers mapped (glibc only); True when the settings were applied."""
    global tuned
    if tuned:
        return False
    tuned = True
    try:
        if not os.confstr("CS_GNU_LIBC_VERSION"):
            return False
        import ctypes

        mallopt = ctypes.CDLL(None).mallopt
    except (ValueError, OSError, AttributeError, ImportError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    return bool(mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)) and bool(
        mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD)
    )
