"""Running mmdebstrap: pinned SOURCE_DATE_EPOCH, progress from its log, its tail on failure."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Sequence

from ..oci.errors import BuilderError

SHOWN = ("I: running apt-get update", "I: installing", "E:")


def run(
    args: Sequence[str],
    *,
    epoch: int,
    say: Callable[[str], None],
    what: str = "mmdebstrap",
    shown: Sequence[str] = SHOWN,
) -> None:
    """Run `args` (an mmdebstrap command line); BuilderError with the log's tail on failure."""
    if shutil.which("mmdebstrap") is None:
        raise BuilderError("mmdebstrap is not installed: apt-get install mmdebstrap")
    env = dict(os.environ, SOURCE_DATE_EPOCH=str(epoch), LC_ALL="C.UTF-8", PYTHONHASHSEED="0")
    tail: list[str] = []
    with subprocess.Popen(
        list(args),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        text=True,
        errors="replace",
    ) as proc:
        assert proc.stdout is not None
        for raw in proc.stdout:
            line = raw.rstrip("\n")
            tail = [*tail[-29:], line]
            if line.startswith(tuple(shown)):
                say(f"{what}: {line}")
        code = proc.wait()
    if code != 0:
        raise BuilderError(
            f"{what} failed with exit status {code} (is the mirror {args[-1]} reachable, and "
            "do the packages exist in the suite?):\n" + "\n".join(tail)
        )
