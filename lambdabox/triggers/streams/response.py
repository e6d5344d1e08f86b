"""What a stream function's answer means: success, a partial failure, or a failed batch.

With `FunctionResponseTypes: [ReportBatchItemFailures]` (Lambda developer guide, "partial
batch responses" for Kinesis and DynamoDB): an empty or null response, a null or empty
`batchItemFailures` list, mean success; otherwise every entry's `itemIdentifier` must be the
sequence number of a record of the batch, and the mapping checkpoints at the lowest one:
that record and everything after it are retried. A response that is not JSON, an entry
without an identifier (missing, null, empty), another key, or an identifier not in the
batch fails the whole batch. Tumbling-window functions answer `{"state": ...}` beside it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lambdabox.triggers.streams.sources import StreamRecord


@dataclass(frozen=True)
class Verdict:
    """How a batch ended: `retry_from` is None on success, else the index to retry from."""

    retry_from: int | None
    state: Any = None
    invalid: str | None = None  # why a partial-failure answer was rejected

    @property
    def ok(self) -> bool:
        return self.retry_from is None


def judge(body: bytes, batch: Sequence[StreamRecord], report_failures: bool) -> Verdict:
    """The verdict on a successful invocation's response body."""
    try:
        answer = json.loads(body) if body.strip() else None
    except ValueError:
        answer = None
        if report_failures:
            return Verdict(0, invalid="the response is not JSON")
    state = answer.get("state") if isinstance(answer, dict) else None
    if not report_failures or answer is None:
        return Verdict(None, state)
    if not isinstance(answer, dict):
        return Verdict(None, state) if answer in ("", []) else Verdict(0, invalid="not an object")
    failures = answer.get("batchItemFailures")
    if not failures:
        return Verdict(None, state)
    if not isinstance(failures, list):
        return Verdict(0, state, "batchItemFailures is not a list")
    index = {r.sequence: i for i, r in enumerate(batch)}
    lowest: int | None = None
    for item in failures:
        ident = item.get("itemIdentifier") if isinstance(item, dict) else None
        if not isinstance(ident, str) or not ident or set(item) != {"itemIdentifier"}:
            return Verdict(0, state, f"bad batchItemFailures entry {item!r}")
        if ident not in index:
            return Verdict(0, state, f"itemIdentifier {ident!r} is not in the batch")
        lowest = index[ident] if lowest is None else min(lowest, index[ident])
    return Verdict(lowest, state)
