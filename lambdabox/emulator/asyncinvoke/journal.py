"""The journal of accepted asynchronous invocations: SQLite (WAL) in the state folder.

An Event invocation is written here before its 202 is sent and removed once it has
succeeded or been handed to its failure handling; in between the row carries its attempt
count, whether an attempt is running, and when the next attempt is due. A restarted
emulator on the same folder reads the rows back (`load`). Commits use WAL with
`synchronous=NORMAL`: durable when the process is killed, not when the machine loses power.

Without a state folder the journal is an in-memory SQLite database: the same code path,
nothing survives the process (as the emulator behaved before). That database (and
`sqlite3` itself) is only opened by the first Event invocation: an emulator that never
gets one does not pay for it at start-up.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lambdabox.emulator import statedir

if TYPE_CHECKING:
    import sqlite3

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    request_id TEXT PRIMARY KEY,
    arn TEXT NOT NULL,
    payload BLOB NOT NULL,
    content_type TEXT NOT NULL,
    client_context TEXT,
    trace_id TEXT NOT NULL,
    tenant_id TEXT,
    accepted_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    due_at REAL NOT NULL,
    running INTEGER NOT NULL DEFAULT 0,
    last_response BLOB
)
"""


class JournalError(statedir.StateDirError):
    """The journal cannot be opened (the message names the folder and the fix). A kind of
    StateDirError: the command lines catch that one, without importing this package."""


@dataclass(frozen=True)
class QueuedEvent:
    """An accepted Event invocation as the journal keeps it."""

    request_id: str
    arn: str
    payload: bytes
    content_type: str
    client_context: str | None
    trace_id: str
    tenant_id: str | None
    accepted_at: float  # wall clock (time.time()), so it means something after a restart
    attempts: int = 0
    due_at: float = 0.0
    running: bool = False
    last_response: bytes | None = None


class Journal:
    """One function's queue of Event invocations, in `folder` (None: in memory only).

    Used from one thread at a time (the event loop's); it may be created on another.
    """

    def __init__(self, folder: Path | None, function_name: str) -> None:
        self.path: Path | None = None
        self._lock_fd: int | None = None
        self._open: sqlite3.Connection | None = None  # in memory: opened by the first add
        self._closed = False
        if folder is not None:
            import sqlite3

            self.path = Path(statedir.journal_path(str(folder), function_name))
            held = statedir.take(str(self.path))  # taken before the emulator listened
            try:
                self._lock_fd = statedir.lock(str(self.path)) if held is None else held
            except statedir.StateDirError as exc:
                raise JournalError(str(exc)) from None
            try:
                db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
            except (OSError, sqlite3.Error) as exc:
                self._unlock()
                raise JournalError(
                    f"cannot open the asynchronous invocation journal {self.path}: {exc}; "
                    "give --state-dir a folder you can write"
                ) from None
            db.execute(_SCHEMA)
            self._open = db

    @property
    def _db(self) -> sqlite3.Connection:
        if self._open is None:
            import sqlite3

            if self._closed:  # as a closed connection would: nothing is journalled after
                raise sqlite3.ProgrammingError("Cannot operate on a closed database.")
            self._open = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
            self._open.execute(_SCHEMA)
        return self._open

    def add(self, event: QueuedEvent) -> None:
        """Journal an accepted event (committed when this returns)."""
        self._db.execute(
            "INSERT OR REPLACE INTO events VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                event.request_id,
                event.arn,
                event.payload,
                event.content_type,
                event.client_context,
                event.trace_id,
                event.tenant_id,
                event.accepted_at,
                event.attempts,
                event.due_at,
                int(event.running),
                event.last_response,
            ),
        )

    def update(self, event: QueuedEvent) -> None:
        """Record an attempt starting, or the next one scheduled."""
        self._db.execute(
            "UPDATE events SET attempts=?, due_at=?, running=?, last_response=? WHERE request_id=?",
            (
                event.attempts,
                event.due_at,
                int(event.running),
                event.last_response,
                event.request_id,
            ),
        )

    def remove(self, request_id: str) -> None:
        """The event is finished (succeeded, or handed to its failure handling)."""
        self._db.execute("DELETE FROM events WHERE request_id=?", (request_id,))

    def load(self) -> list[QueuedEvent]:
        """Every journalled event, oldest first."""
        if self._open is None and not self._closed:
            return []  # in memory and nothing added yet
        rows = self._db.execute("SELECT * FROM events ORDER BY rowid").fetchall()
        return [
            QueuedEvent(
                request_id=row[0],
                arn=row[1],
                payload=bytes(row[2]),
                content_type=row[3],
                client_context=row[4],
                trace_id=row[5],
                tenant_id=row[6],
                accepted_at=row[7],
                attempts=row[8],
                due_at=row[9],
                running=bool(row[10]),
                last_response=None if row[11] is None else bytes(row[11]),
            )
            for row in rows
        ]

    def close(self) -> None:
        """Close the database and let another emulator take the folder."""
        self._closed = True
        if self._open is not None:
            import sqlite3

            with contextlib.suppress(sqlite3.Error):
                self._open.close()
        self._unlock()

    def _unlock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None
