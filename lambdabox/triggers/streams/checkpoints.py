"""Shard checkpoints: the last sequence number a stream mapping has finished, per shard.

A record is finished when its batch succeeded, when it was reported as done by a partial
batch response, when it was discarded (retries or age exhausted, after its OnFailure
record), or when FilterCriteria dropped it. The checkpoint of a shard is the highest
sequence number below which every record read is finished (with ParallelizationFactor the
groups of a shard finish out of order, so it advances only over a finished prefix).

With a state folder (`lambdabox up --state-dir`), checkpoints are kept in SQLite (WAL,
`synchronous=NORMAL`, as the emulator's asynchronous-invocation journal) under
`DIR/streams/checkpoints.sqlite3`, keyed by mapping and shard, so a restarted mapping
reads on after its checkpoint instead of from its StartingPosition: records in flight when
the process died are read again (at least once), none is skipped. Without a folder
nothing is kept.
"""

from __future__ import annotations

import collections
import contextlib
import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path

from lambdabox.triggers.streams.errors import SourceError
from lambdabox.triggers.streams.sources import StreamRecord

_SCHEMA = """
CREATE TABLE IF NOT EXISTS checkpoints (
    mapping TEXT NOT NULL,
    shard TEXT NOT NULL,
    sequence TEXT NOT NULL,
    updated_at REAL NOT NULL,
    PRIMARY KEY (mapping, shard)
)
"""


class CheckpointStore:
    """The checkpoints of one mapping in `folder`; `key` names the function and the stream's
    incarnation (a recreated stream starts over: its sequence numbers begin again)."""

    def __init__(self, folder: Path, key: str) -> None:
        self.path = folder / "streams" / "checkpoints.sqlite3"
        self.key = key
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA busy_timeout=5000")
            self._db.execute(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise SourceError(
                f"cannot open the stream checkpoints {self.path}: {exc}; "
                "give --state-dir a folder you can write"
            ) from None

    def get(self, shard: str) -> str | None:
        """The shard's checkpoint (None: never checkpointed)."""
        row = self._db.execute(
            "SELECT sequence FROM checkpoints WHERE mapping=? AND shard=?", (self.key, shard)
        ).fetchone()
        return None if row is None else str(row[0])

    def put(self, shard: str, sequence: str) -> None:
        """Record the shard's checkpoint (committed when this returns)."""
        self._db.execute(
            "INSERT OR REPLACE INTO checkpoints VALUES (?,?,?,?)",
            (self.key, shard, sequence, time.time()),
        )

    def forget(self, shard: str) -> None:
        """Drop a checkpoint the stream no longer knows (recreated stream, trimmed shard)."""
        self._db.execute("DELETE FROM checkpoints WHERE mapping=? AND shard=?", (self.key, shard))

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self._db.close()


class ShardProgress:
    """Which records of one shard have been read and which are finished, in shard order."""

    def __init__(self, shard: str, store: CheckpointStore | None) -> None:
        self.shard = shard
        self._store = store
        self._open: collections.OrderedDict[str, bool] = collections.OrderedDict()
        self.checkpoint: str | None = store.get(shard) if store else None

    def read(self, records: Sequence[StreamRecord]) -> None:
        """Records just read from the shard (in order), none finished yet."""
        for r in records:
            self._open[r.sequence] = False

    def finished(self, records: Sequence[StreamRecord]) -> None:
        """These records are done with; advance the checkpoint over the finished prefix."""
        for r in records:
            if r.sequence in self._open:
                self._open[r.sequence] = True
        last = None
        while self._open:
            sequence, done = next(iter(self._open.items()))
            if not done:
                break
            self._open.popitem(last=False)
            last = sequence
        if last is not None:
            self.checkpoint = last
            if self._store is not None:
                self._store.put(self.shard, last)
