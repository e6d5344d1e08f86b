"""The in-memory journal opens its database on the first event, and behaves as an open
one would before that (empty) and as a closed one after `close` (refuses, loses nothing
silently)."""

from __future__ import annotations

import sqlite3

import pytest

from lambdabox.emulator.asyncinvoke.journal import Journal, QueuedEvent

ARN = "arn:aws:lambda:us-east-1:123456789012:function:f"


def _event(request_id: str) -> QueuedEvent:
    return QueuedEvent(request_id, ARN, b"{}", "application/json", None, "Root=1-x", None, 1.0)


def test_an_unused_in_memory_journal_is_empty_and_keeps_what_is_added() -> None:
    journal = Journal(None, "f")
    assert journal.load() == []
    journal.add(_event("a"))
    journal.add(_event("b"))
    journal.remove("a")
    assert [event.request_id for event in journal.load()] == ["b"]
    journal.close()


@pytest.mark.parametrize("used", [False, True])
def test_a_closed_in_memory_journal_refuses_like_a_closed_database(used: bool) -> None:
    journal = Journal(None, "f")
    if used:
        journal.add(_event("a"))
    journal.close()
    with pytest.raises(sqlite3.ProgrammingError):
        journal.add(_event("b"))
    with pytest.raises(sqlite3.ProgrammingError):
        journal.load()
