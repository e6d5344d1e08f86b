"""FIFO order per message group, concurrency limits, and FilterCriteria end to end."""

from __future__ import annotations

import json
from collections.abc import Callable

from lambdabox.testing.sqs_app import SqsApp


def test_fifo_order_per_group_and_blocked_group(sqs_app: Callable[..., SqsApp]) -> None:
    app = sqs_app(
        fifo=True,
        handler="sqs_functions.fifo_handler",
        event={"BatchSize": 4, "FunctionResponseTypes": ["ReportBatchItemFailures"]},
        queue={"VisibilityTimeout": 1},
        environments=2,
        timeout_s=1,
    )
    sent = {
        "a": [f"a{i}" for i in range(8)],
        "b": [f"b{i}" for i in range(8)],
    }
    # The failing message ends its batch: moto redelivers a group out of order when two of
    # its messages come back from a failed batch at once (a moto bug; SQS keeps the order).
    sent["a"][3] = "fail-once-a3"
    for group in ("a", "b"):
        app.helper.send_many(app.queue, sent[group], group_id=group)
    app.run_mappings()
    batches = app.helper.wait_idle(timeout=30)
    done = [body for c in app.calls() for body in c["done"]]
    for group in ("a", "b"):
        in_group = [b for b in done if b in sent[group]]
        # In order, each once, the retried one in its place.
        assert in_group == sent[group], [(b.outcome, b.bodies) for b in batches]
    assert any(b.outcome == "partial" for b in batches)


def overlaps(app: SqsApp) -> int:
    """The largest number of invocations that ran at the same time (from the handler's log)."""
    events: list[tuple[float, int]] = []
    starts = {json.dumps(c["ids"]): c["start"] for c in app.calls() if "start" in c}
    for c in app.calls():
        if "end" in c:
            events += [(starts[json.dumps(c["ids"])], 1), (c["end"], -1)]
    running = peak = 0
    for _, step in sorted(events, key=lambda e: (e[0], e[1])):
        running += step
        peak = max(peak, running)
    return peak


def test_maximum_concurrency_caps_concurrent_batches(sqs_app: Callable[..., SqsApp]) -> None:
    app = sqs_app(
        event={"BatchSize": 1, "ScalingConfig": {"MaximumConcurrency": 2}}, environments=4
    )
    assert app.mappings[0].pollers == 2
    app.helper.send_many(app.queue, ["sleep:0.2"] * 12)
    app.run_mappings()
    batches = app.helper.wait_idle(timeout=30)
    assert len(batches) == 12
    assert overlaps(app) <= 2


def test_concurrency_bounded_by_environments(sqs_app: Callable[..., SqsApp]) -> None:
    app = sqs_app(event={"BatchSize": 1}, environments=3)
    assert app.mappings[0].pollers == 3  # no more concurrent batches than environments
    app.helper.send_many(app.queue, ["sleep:0.2"] * 12)
    app.run_mappings()
    assert len(app.helper.wait_idle(timeout=30)) == 12
    assert overlaps(app) <= 3


def test_filter_criteria_end_to_end(sqs_app: Callable[..., SqsApp]) -> None:
    on_body = {"body": {"kind": ["order"], "total": [{"numeric": [">", 10]}]}}
    on_attributes = {"messageAttributes": {"tier": {"stringValue": [{"prefix": "vip"}]}}}
    filters = [{"Pattern": json.dumps(on_body)}, {"Pattern": json.dumps(on_attributes)}]
    app = sqs_app(event={"BatchSize": 10, "FilterCriteria": {"Filters": filters}})
    ids = app.helper.send_many(
        app.queue,
        [
            '{"kind": "order", "total": 12}',
            '{"kind": "order", "total": 5}',
            '{"kind": "refund", "total": 50}',
            "order",
            '{"kind": "order", "total": 99}',
        ],
    )
    vip = app.helper.send(app.queue, "plain text", attributes={"tier": "vip-gold"})
    other = app.helper.send(app.queue, "plain text", attributes={"tier": "basic"})
    app.run_mappings()
    batches = app.helper.wait_idle()
    delivered = [i for b in batches for i in b.message_ids]
    assert sorted(delivered) == sorted([ids[0], ids[4], vip])
    filtered = app.mappings[0].history.filtered
    assert sorted(filtered) == sorted([ids[1], ids[2], ids[3], other])
    assert not any(app.helper.counts(app.queue).values())  # filtered messages were deleted
