"""What a stream mapping did: one `BatchRecord` per invocation, kept for tests and logs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class BatchRecord:
    """One batch handed to a function, and how it ended."""

    source: str  # the stream or table name
    shard_id: str
    function: str
    request_id: str
    payload: bytes  # the event as sent
    size: int  # records in the batch
    outcome: str  # "ok", "partial (retry from SEQ)", "error (Type)", "invalid response (...)"
    response: bytes
    duration_s: float
    finished: float  # time.time() when the outcome was known

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"

    def event(self) -> Any:
        """The event the function received."""
        return json.loads(self.payload)

    def sequence_numbers(self) -> list[str]:
        """The batch's records' sequence numbers, in order."""
        out = []
        for r in self.event().get("Records", []):
            seq = (
                r["kinesis"]["sequenceNumber"]
                if "kinesis" in r
                else r["dynamodb"]["SequenceNumber"]
            )
            out.append(seq)
        return out
