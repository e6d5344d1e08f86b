"""What a mapping did, for `wait_idle()` in tests: its batches and their outcomes.

Mappings run on the application's event loop (often another thread than the test's), so the
log is guarded by a lock. Running mappings register here so that `SqsHelper` can find them.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lambdabox.triggers.sqs.poller import SqsMapping


@dataclass(frozen=True)
class BatchRecord:
    """One invocation of the function with a batch (or one batch filtered away entirely)."""

    source: str  # the mapping's declaration (e.g. "Fn.Events.Orders")
    function: str
    queue_arn: str
    records: tuple[Mapping[str, Any], ...]  # the event's records as sent
    outcome: str  # "success", "partial", "failure"
    failed_ids: frozenset[str] = frozenset()  # messages left on the queue
    reason: str = ""
    request_id: str = ""
    duration_ms: float = 0.0
    filtered_ids: tuple[str, ...] = ()  # messages dropped by FilterCriteria (deleted)

    @property
    def message_ids(self) -> list[str]:
        return [r["messageId"] for r in self.records]

    @property
    def bodies(self) -> list[str]:
        return [r["body"] for r in self.records]


@dataclass
class History:
    """The batches of one mapping, appended from its loop, read from any thread."""

    batches: list[BatchRecord] = field(default_factory=list)
    busy: int = 0  # batches being processed right now
    filtered: list[str] = field(default_factory=list)  # ids dropped by FilterCriteria
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, batch: BatchRecord) -> None:
        with self._lock:
            self.batches.append(batch)

    def add_filtered(self, message_ids: list[str]) -> None:
        with self._lock:
            self.filtered.extend(message_ids)

    def since(self, start: int) -> list[BatchRecord]:
        with self._lock:
            return list(self.batches[start:])

    def __len__(self) -> int:
        with self._lock:
            return len(self.batches)


_running: list[SqsMapping] = []
_running_lock = threading.Lock()


def register(mapping: SqsMapping) -> None:
    with _running_lock:
        _running.append(mapping)


def unregister(mapping: SqsMapping) -> None:
    with _running_lock:
        if mapping in _running:
            _running.remove(mapping)


def running() -> list[SqsMapping]:
    """The mappings started in this process and not closed yet."""
    with _running_lock:
        return list(_running)
