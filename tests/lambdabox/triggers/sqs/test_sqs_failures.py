"""Failures: redelivery and redrive to the DLQ, partial batch responses, a runtime killed
mid-batch, a timeout mid-batch."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable

import pytest

from lambdabox.testing.polling import wait_for
from lambdabox.testing.sqs_app import SqsApp


def started_ids(app: SqsApp) -> Counter[str]:
    return Counter(i for c in app.calls() if "start" in c for i in c["ids"])


def test_poisoned_message_goes_to_the_dlq(sqs_app: Callable[..., SqsApp]) -> None:
    app = sqs_app(
        event={"BatchSize": 1}, queue={"VisibilityTimeout": 1}, dlq_max_receives=2, timeout_s=1
    )
    good = app.helper.send_many(app.queue, [f"ok{i}" for i in range(5)])
    poison = app.helper.send(app.queue, "fail")
    app.run_mappings()
    batches = app.helper.wait_idle(timeout=60)
    seen = started_ids(app)
    assert seen[poison] == 2  # maxReceiveCount deliveries, then the redrive policy moved it
    assert all(seen[i] == 1 for i in good)
    dead = app.helper.messages(app.dlq)
    assert [m["MessageId"] for m in dead] == [poison]
    assert dead[0]["Body"] == "fail"
    failures = [b for b in batches if b.outcome == "failure"]
    assert len(failures) == 2
    assert all("function error RuntimeError" in b.reason for b in failures)
    assert any("1 record, failure (function error RuntimeError" in n for n in app.notes)


def test_failed_batch_is_retried_whole(sqs_app: Callable[..., SqsApp]) -> None:
    app = sqs_app(event={"BatchSize": 10}, queue={"VisibilityTimeout": 1}, timeout_s=1)
    ids = app.helper.send_many(app.queue, ["a", "fail-once", "b"])
    app.run_mappings()
    batches = app.helper.wait_idle(timeout=30)
    assert [b.outcome for b in batches] == ["failure", "success"]
    assert sorted(batches[1].message_ids) == sorted(ids)
    assert batches[1].records[0]["attributes"]["ApproximateReceiveCount"] == "2"


PARTIAL_CASES = {
    # name: (SQS_TEST_RESPONSE or None for the handler's own answer, bodies, kept count)
    "valid": (None, ["ok", "item-fail", "ok", "item-fail", "ok"], 2),
    "empty list": ('{"batchItemFailures": []}', ["ok", "ok", "ok"], 0),
    "null list": ('{"batchItemFailures": null}', ["ok", "ok", "ok"], 0),
    "null response": ("null", ["ok", "ok", "ok"], 0),
    "empty object": ("{}", ["ok", "ok", "ok"], 0),
    "unknown id": ('{"batchItemFailures": [{"itemIdentifier": "nope"}]}', ["ok", "ok"], 2),
    "empty id": ('{"batchItemFailures": [{"itemIdentifier": ""}]}', ["ok", "ok"], 2),
    "null id": ('{"batchItemFailures": [{"itemIdentifier": null}]}', ["ok", "ok"], 2),
    "wrong key": ('{"batchItemFailures": [{"id": "x"}]}', ["ok", "ok"], 2),
    "not an object": ('"done"', ["ok", "ok"], 2),
}


@pytest.mark.parametrize("case", list(PARTIAL_CASES))
def test_report_batch_item_failures(sqs_app: Callable[..., SqsApp], case: str) -> None:
    response, bodies, kept = PARTIAL_CASES[case]
    app = sqs_app(
        event={"BatchSize": 10, "FunctionResponseTypes": ["ReportBatchItemFailures"]},
        env={"SQS_TEST_RESPONSE": response} if response else {},
    )
    ids = app.helper.send_many(app.queue, bodies)
    app.run_mappings()
    history = app.mappings[0].history
    wait_for(lambda: len(history) == 1 and not history.busy)
    (batch,) = history.since(0)
    assert sorted(batch.message_ids) == sorted(ids)
    assert len(batch.failed_ids) == kept
    counts = app.helper.counts(app.queue)
    assert counts["ApproximateNumberOfMessagesNotVisible"] == kept  # kept for retry
    assert counts["ApproximateNumberOfMessages"] == 0  # the rest was deleted
    if case == "valid":
        assert batch.outcome == "partial"
        assert batch.failed_ids == {i for i, b in zip(ids, bodies) if b == "item-fail"}
    elif kept:
        assert batch.outcome == "failure"
    else:
        assert batch.outcome == "success"


def test_runtime_killed_mid_batch(sqs_app: Callable[..., SqsApp]) -> None:
    app = sqs_app(event={"BatchSize": 10}, queue={"VisibilityTimeout": 1}, timeout_s=1)
    ids = app.helper.send_many(app.queue, ["a", "crash-once", "b"])
    app.run_mappings()
    batches = app.helper.wait_idle(timeout=30)
    assert [b.outcome for b in batches] == ["failure", "success"]
    assert "Runtime.ExitError" in batches[0].reason
    assert sorted(batches[1].message_ids) == sorted(ids)


def test_timeout_mid_batch(sqs_app: Callable[..., SqsApp]) -> None:
    app = sqs_app(event={"BatchSize": 10}, queue={"VisibilityTimeout": 2}, timeout_s=1)
    ids = app.helper.send_many(app.queue, ["a", "sleep-once:5", "b"])
    app.run_mappings()
    batches = app.helper.wait_idle(timeout=30)
    assert [b.outcome for b in batches] == ["failure", "success"]
    assert "Sandbox.Timedout" in batches[0].reason
    assert sorted(batches[1].message_ids) == sorted(ids)
    ends = [c for c in app.calls() if "end" in c]
    assert len(ends) == 1  # the timed-out invocation never finished
    assert json.dumps(sorted(ends[0]["ids"])) == json.dumps(sorted(ids))
