"""Shard checkpoints: advanced only over a finished prefix of what was read, kept in SQLite
under the state folder, per mapping key and shard."""

from __future__ import annotations

from pathlib import Path

import pytest

from lambdabox.triggers.streams.checkpoints import CheckpointStore, ShardProgress
from lambdabox.triggers.streams.errors import SourceError
from lambdabox.triggers.streams.sources import StreamRecord


def records(*sequences: int) -> list[StreamRecord]:
    return [StreamRecord("shard-0", str(s), 0.0, "k", {}, 10) for s in sequences]


def test_the_checkpoint_advances_over_the_finished_prefix_only(tmp_path: Path) -> None:
    store = CheckpointStore(tmp_path, "stream-a fn")
    progress = ShardProgress("shard-0", store)
    assert progress.checkpoint is None
    progress.read(records(1, 2, 3, 4, 5))
    progress.finished(records(2, 3))  # another ParallelizationFactor group ran ahead
    assert progress.checkpoint is None
    progress.finished(records(1))
    assert progress.checkpoint == "3"
    progress.finished(records(5))
    assert progress.checkpoint == "3"  # 4 is still in flight
    progress.finished(records(4))
    assert progress.checkpoint == "5"
    store.close()
    # A new process on the same folder reads it back; other keys and shards are apart.
    again = CheckpointStore(tmp_path, "stream-a fn")
    assert ShardProgress("shard-0", again).checkpoint == "5"
    assert ShardProgress("shard-1", again).checkpoint is None
    assert CheckpointStore(tmp_path, "stream-b fn").get("shard-0") is None
    again.forget("shard-0")
    assert again.get("shard-0") is None


def test_without_a_store_nothing_is_kept() -> None:
    progress = ShardProgress("shard-0", None)
    progress.read(records(7))
    progress.finished(records(7))
    assert progress.checkpoint == "7"


def test_an_unwritable_state_folder_is_an_error_naming_the_fix(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(SourceError, match="give --state-dir a folder you can write"):
        CheckpointStore(blocker, "k")
