"""The soak's ledger: every request with its outcome, and the checks made at the end."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Entry:
    """One request: its kind (sync, event, stream), outcome class and detail."""

    kind: str
    outcome: str
    detail: str = ""


@dataclass
class Ledger:
    """Thread-safe record of requests and faults; :meth:`violations` checks it."""

    entries: list[Entry] = field(default_factory=list)
    faults: Counter[str] = field(default_factory=Counter)
    accepted_events: set[str] = field(default_factory=set)
    notes: dict[str, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, outcome: str, detail: str = "") -> None:
        with self._lock:
            self.entries.append(Entry(kind, outcome, detail))

    def fault(self, name: str) -> None:
        with self._lock:
            self.faults[name] += 1

    def accept_event(self, event_id: str) -> None:
        with self._lock:
            self.accepted_events.add(event_id)

    def table(self) -> str:
        counts = Counter((e.kind, e.outcome) for e in self.entries)
        rows = [f"{'kind':<10} {'outcome':<34} {'count':>7}"]
        rows += [f"{k:<10} {o:<34} {n:>7}" for (k, o), n in sorted(counts.items())]
        rows += [f"{'fault':<10} {name:<34} {n:>7}" for name, n in sorted(self.faults.items())]
        rows += [f"{'figure':<10} {name:<34} {value:>7}" for name, value in self.notes.items()]
        return "\n".join(rows)

    def malformed(self) -> list[Entry]:
        return [e for e in self.entries if e.outcome.startswith("MALFORMED")]
