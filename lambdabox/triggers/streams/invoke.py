"""Invoking the function with one batch of a shard group, and giving up on records.

`ShardCalls` builds the event (with the tumbling-window fields), invokes the function, keeps
a `BatchRecord` of each invocation and notes it; `discard` notes records given up on and
sends the OnFailure record. `Context` is what every worker of one mapping shares.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from lambdabox.triggers.ports import AppSettings, FunctionInvoker
from lambdabox.triggers.streams import failure
from lambdabox.triggers.streams.checkpoints import ShardProgress
from lambdabox.triggers.streams.config import StreamMapping
from lambdabox.triggers.streams.records import BatchRecord
from lambdabox.triggers.streams.response import Verdict, judge
from lambdabox.triggers.streams.sources import StreamRecord


@dataclass
class Context:
    """What every worker of one mapping shares."""

    mapping: StreamMapping
    stream_arn: str
    invoker: FunctionInvoker
    settings: AppSettings
    sink: failure.Sink | None
    records: list[BatchRecord]
    progress: dict[str, ShardProgress] = field(default_factory=dict)  # by shard id


@dataclass(frozen=True)
class Result:
    """The verdict on one invocation."""

    verdict: Verdict | None  # None: the invocation failed (function error, crash, refused)
    request_id: str
    function_error: str | None


class ShardCalls:
    """The function calls of one shard group."""

    def __init__(self, ctx: Context, shard_id: str) -> None:
        self.ctx = ctx
        self.shard_id = shard_id

    def payload(
        self, batch: Sequence[StreamRecord], window: float | None, state: Any, final: bool = False
    ) -> bytes:
        """The event for `batch`; with a tumbling window, its fields too."""
        event: dict[str, Any] = {"Records": [r.record for r in batch]}
        m = self.ctx.mapping
        if m.tumbling_window_s and window is not None:
            event.update(
                window={
                    "start": failure.iso_s(window),
                    "end": failure.iso_s(window + m.tumbling_window_s),
                },
                state=state if state is not None else {},
                shardId=self.shard_id,
                eventSourceARN=self.ctx.stream_arn,
                isFinalInvokeForWindow=final,
                isWindowTerminatedEarly=False,
            )
        return json.dumps(event, separators=(",", ":")).encode()

    async def invoke(
        self, batch: Sequence[StreamRecord], payload: bytes, final: bool = False
    ) -> Result:
        """Invoke the function with `payload` (the event of `batch`), record and note it."""
        ctx, m = self.ctx, self.ctx.mapping
        started = time.monotonic()
        request_id, response, error = "", b"", None
        verdict: Verdict | None = None
        try:
            answer = await ctx.invoker.invoke(m.function, payload, wait=True)
            request_id, response = answer.request_id, answer.outcome.body
            if answer.outcome.function_error:
                error = error_type(response)
            else:
                verdict = judge(response, batch, m.report_item_failures)
        except Exception as exc:  # the invoke itself failed: retried like a function error
            response, error = str(exc).encode(), type(exc).__name__
        if verdict is None:
            outcome = f"error ({error})"
        elif verdict.invalid:
            outcome = f"invalid response ({verdict.invalid})"
        elif verdict.retry_from is not None:
            outcome = f"partial (retry from {batch[verdict.retry_from].sequence})"
        else:
            outcome = "ok"
        took = time.monotonic() - started
        name = m.source_name
        ctx.records.append(
            BatchRecord(
                name,
                self.shard_id,
                m.function,
                request_id,
                payload,
                len(batch),
                outcome,
                response,
                took,
                time.time(),
            )
        )
        what = "window end" if final else f"{len(batch)} records"
        ctx.settings.notes(
            f"{m.kind} {name} {self.shard_id} -> {m.function}: {what}, {outcome}, "
            f"{took * 1000:.1f} ms"
        )
        return Result(verdict, request_id, error)

    async def discard(
        self,
        part: Sequence[StreamRecord],
        condition: str,
        result: Result | None,
        invokes: int,
        window: float | None,
        state: Any,
    ) -> None:
        """Give up on `part`: note it, and send the OnFailure record if there is a destination."""
        ctx, m = self.ctx, self.ctx.mapping
        ctx.settings.notes(
            f"{m.kind} {m.source_name} {self.shard_id} -> {m.function}: gave up on "
            f"{len(part)} records ({condition}, {invokes} invocations)"
            + (f"; failure record to {m.on_failure}" if m.on_failure else "")
        )
        if m.on_failure is None or ctx.sink is None:
            return
        now = ctx.settings.clock.now()
        body = failure.record(
            kind=m.kind,
            batch=part,
            stream_arn=ctx.stream_arn,
            request_id=result.request_id if result else "",
            function_arn=ctx.invoker.function_arn(m.function),
            condition=condition,
            invokes=invokes,
            function_error="Unhandled" if result and result.function_error else None,
            now=now,
        )
        try:
            await ctx.sink.deliver(m.on_failure, body, self.payload(part, window, state), now)
        except Exception as exc:
            ctx.settings.notes(
                f"{m.kind} {m.source_name}: OnFailure to {m.on_failure} failed: {exc}"
            )


def error_type(response: bytes) -> str:
    try:
        body = json.loads(response)
    except ValueError:
        return "Unhandled"
    kind = body.get("errorType") if isinstance(body, dict) else None
    return kind if isinstance(kind, str) else "Unhandled"
