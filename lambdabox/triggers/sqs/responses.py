"""What a batch's invocation meant for its messages: delete all, keep all, or keep some.

Without `ReportBatchItemFailures` a function error (including a timeout or a crash) keeps the
whole batch and success deletes it. With it, the function's answer lists the messages to
keep, under the service's rules: an empty or null answer, a missing, null or empty
`batchItemFailures` all mean full success; invalid JSON, an entry without a non-empty string
`itemIdentifier` (null, empty, wrong key) or an identifier not in the batch fail the whole
batch.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass


@dataclass(frozen=True)
class BatchVerdict:
    """The messages to keep (to be retried) and why; everything else is deleted."""

    kind: str  # "success", "partial", "failure"
    keep: frozenset[str]  # message ids left on the queue
    reason: str = ""


def judge(
    body: bytes, function_error: bool, message_ids: Collection[str], report_failures: bool
) -> BatchVerdict:
    """The verdict for a batch of `message_ids` given the invocation's outcome."""
    everything = frozenset(message_ids)
    if function_error:
        return BatchVerdict("failure", everything, _error_type(body))
    if not report_failures:
        return BatchVerdict("success", frozenset())
    return _item_failures(body, everything)


def _error_type(body: bytes) -> str:
    try:
        error = json.loads(body)
        return f"function error {error.get('errorType', 'Unhandled')}"
    except (ValueError, AttributeError):
        return "function error"


def _item_failures(body: bytes, everything: frozenset[str]) -> BatchVerdict:
    text = body.strip()
    if not text:
        return BatchVerdict("success", frozenset())
    try:
        answer = json.loads(text)
    except ValueError:
        return BatchVerdict("failure", everything, "invalid JSON response")
    if answer is None:
        return BatchVerdict("success", frozenset())
    if not isinstance(answer, dict):
        return BatchVerdict("failure", everything, "response is not a JSON object")
    failures = answer.get("batchItemFailures")
    if failures is None or failures == []:
        return BatchVerdict("success", frozenset())
    if not isinstance(failures, list):
        return BatchVerdict("failure", everything, "batchItemFailures is not a list")
    keep: set[str] = set()
    for item in failures:
        ident = item.get("itemIdentifier") if isinstance(item, dict) else None
        if not isinstance(ident, str) or not ident:
            return BatchVerdict("failure", everything, f"invalid batchItemFailures entry {item!r}")
        if ident not in everything:
            return BatchVerdict("failure", everything, f"itemIdentifier {ident!r} not in the batch")
        keep.add(ident)
    return BatchVerdict("partial", frozenset(keep), f"{len(keep)} reported failed")
