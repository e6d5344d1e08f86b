"""The locks of a --state-dir: one emulator at a time runs a function's journalled queue.

`lock(journal)` takes the lock of the journal at that path (a `.lock` file beside it,
`flock`ed). The command line takes it before it listens (`hold`), so a second emulator on
the same folder is refused before it binds anything, and it is always the later one; the
journal opened afterwards keeps that lock (`take`). Imports only the standard library's
cheap modules: it runs before the emulator's own imports.
"""

from __future__ import annotations

import fcntl
import os


class StateDirError(RuntimeError):
    """The folder cannot be locked (the message names the folder and the fix)."""


_held: dict[str, int] = {}  # journal path -> its lock, taken by `hold`


def journal_path(folder: str, function_name: str) -> str:
    """Where the journal of `function_name` lives in the state folder `folder`."""
    return os.path.join(folder, "asyncinvoke", f"{function_name}.sqlite3")


def hold(folder: str, function_name: str) -> None:
    """Take the lock of `function_name`'s journal in `folder` now, for `take`."""
    path = journal_path(folder, function_name)
    if path not in _held:
        _held[path] = lock(path)


def take(journal: str) -> int | None:
    """The lock `hold` took for the journal at `journal`, once; None when none was."""
    return _held.pop(journal, None)


def lock(journal: str) -> int:
    """Hold the journal at `journal` exclusively (its folder is made when missing); the
    lock's file descriptor. Raises StateDirError when another process holds it or it
    cannot be made."""
    folder = os.path.dirname(journal)
    try:
        os.makedirs(folder, exist_ok=True)
        fd = os.open(os.path.splitext(journal)[0] + ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise StateDirError(
            f"cannot open the asynchronous invocation journal {journal}: {exc}; "
            "give --state-dir a folder you can write"
        ) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise StateDirError(
            f"{folder} is in use by another running emulator for this function: "
            "stop it, or give this one another --state-dir"
        ) from None
    return fd
