"""Batches by size and by window, the record shape, delete on success, disabled mappings."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from typing import Any

from lambdabox.testing.polling import wait_for
from lambdabox.testing.sqs_app import SqsApp


def test_batches_by_size(sqs_app: Callable[..., SqsApp]) -> None:
    app = sqs_app(event={"BatchSize": 10, "MaximumBatchingWindowInSeconds": 1})
    ids = app.helper.send_many(app.queue, [f"m{i}" for i in range(25)])
    app.run_mappings()
    batches = app.helper.wait_idle()
    assert [len(b.records) for b in batches] == [10, 10, 5]
    assert sorted(i for b in batches for i in b.message_ids) == sorted(ids)
    assert all(b.outcome == "success" for b in batches)
    assert app.helper.counts(app.queue) == {
        "ApproximateNumberOfMessages": 0,
        "ApproximateNumberOfMessagesNotVisible": 0,
        "ApproximateNumberOfMessagesDelayed": 0,
    }
    assert sum("10 records, success" in n for n in app.notes) == 2


def test_window_gathers_more_than_ten(sqs_app: Callable[..., SqsApp]) -> None:
    app = sqs_app(event={"BatchSize": 100, "MaximumBatchingWindowInSeconds": 2})
    ids = app.helper.send_many(app.queue, [f"m{i}" for i in range(25)])
    app.run_mappings()
    batches = app.helper.wait_idle()
    assert len(batches) == 1
    assert sorted(batches[0].message_ids) == sorted(ids)


def test_window_closes_a_partial_batch(sqs_app: Callable[..., SqsApp]) -> None:
    app = sqs_app(event={"BatchSize": 50, "MaximumBatchingWindowInSeconds": 2})
    app.run_mappings()
    first = app.helper.send(app.queue, "a")
    second = app.helper.send(app.queue, "b")
    batches = app.helper.wait_idle()
    assert [sorted(b.message_ids) for b in batches] == [sorted([first, second])]


def test_record_shape(sqs_app: Callable[..., SqsApp]) -> None:
    app = sqs_app(env={"SQS_TEST_EVENTS": "1"}, event={"BatchSize": 2})
    plain = app.helper.send(app.queue, '{"foo": 2}')
    rich = app.helper.send(
        app.queue,
        "with attributes",
        attributes={"req-id": "abc", "count": 3, "blob": b"\x00\x01"},
    )
    app.run_mappings()
    app.helper.wait_idle()
    records: dict[str, dict[str, Any]] = {}
    for call in app.calls():
        if call.get("event"):
            records.update({r["messageId"]: r for r in call["event"]["Records"]})
    assert set(records) == {plain, rich}
    r = records[plain]
    assert list(r) == [
        "messageId",
        "receiptHandle",
        "body",
        "attributes",
        "messageAttributes",
        "md5OfBody",
        "eventSource",
        "eventSourceARN",
        "awsRegion",
    ]
    assert r["body"] == '{"foo": 2}'
    assert r["md5OfBody"] == hashlib.md5(b'{"foo": 2}').hexdigest()
    assert r["eventSource"] == "aws:sqs"
    assert r["eventSourceARN"] == f"arn:aws:sqs:us-east-1:123456789012:{app.queue}"
    assert r["awsRegion"] == "us-east-1"
    assert r["messageAttributes"] == {}
    attrs = r["attributes"]
    assert set(attrs) >= {
        "ApproximateReceiveCount",
        "SentTimestamp",
        "SenderId",
        "ApproximateFirstReceiveTimestamp",
    }
    assert all(isinstance(v, str) for v in attrs.values())
    assert attrs["ApproximateReceiveCount"] == "1"
    assert attrs["SentTimestamp"].isdigit()
    rich_record = records[rich]
    assert rich_record["messageAttributes"] == {
        "req-id": {
            "stringValue": "abc",
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "String",
        },
        "count": {
            "stringValue": "3",
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "Number",
        },
        "blob": {
            "binaryValue": base64.b64encode(b"\x00\x01").decode(),
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "Binary",
        },
    }
    assert len(rich_record["md5OfMessageAttributes"]) == 32
    assert list(rich_record).index("md5OfMessageAttributes") == 6


def test_fifo_record_attributes(sqs_app: Callable[..., SqsApp]) -> None:
    app = sqs_app(env={"SQS_TEST_EVENTS": "1"}, fifo=True)
    app.helper.send(app.queue, "x", group_id="g1", deduplication_id="d1")
    app.run_mappings()
    app.helper.wait_idle()
    (record,) = next(c for c in app.calls() if c.get("event"))["event"]["Records"]
    attrs = record["attributes"]
    assert attrs["MessageGroupId"] == "g1"
    assert attrs["MessageDeduplicationId"] == "d1"
    assert attrs["SequenceNumber"].isdigit()


def test_event_source_mapping_resource_and_disabled(sqs_app: Callable[..., SqsApp]) -> None:
    app = sqs_app(esm=True, event={"BatchSize": 5, "Enabled": False})
    (mapping,) = app.mappings
    line = mapping.describe()[0]
    assert line.text == f"sqs {app.queue} -> Worker (batch 5, window 0 s) disabled"
    app.helper.send(app.queue, "stays")
    app.run_mappings()
    assert app.helper.counts(app.queue)["ApproximateNumberOfMessages"] == 1
    assert app.calls() == []


def test_batch_payload_stays_under_6_mb(sqs_app: Callable[..., SqsApp]) -> None:
    app = sqs_app(event={"BatchSize": 100, "MaximumBatchingWindowInSeconds": 1})
    body = "x" * 250_000
    ids = [app.helper.send(app.queue, body) for _ in range(30)]
    app.run_mappings()
    batches = app.helper.wait_idle(timeout=60)
    sizes = [len(json.dumps({"Records": list(b.records)}).encode()) for b in batches]
    assert len(batches) >= 2
    assert all(size <= 6 * 1024 * 1024 for size in sizes)
    assert sorted(i for b in batches for i in b.message_ids) == sorted(ids)
    assert all(b.outcome == "success" for b in batches)


def test_closing_hands_gathered_messages_back(sqs_app: Callable[..., SqsApp]) -> None:
    app = sqs_app(event={"BatchSize": 50, "MaximumBatchingWindowInSeconds": 30})
    app.run_mappings()
    app.helper.send_many(app.queue, ["a", "b"])
    wait_for(lambda: app.helper.counts(app.queue)["ApproximateNumberOfMessagesNotVisible"] == 2)
    app.close()
    counts = app.helper.counts(app.queue)
    assert counts["ApproximateNumberOfMessages"] == 2  # visible again at once, not in 30 s
    assert counts["ApproximateNumberOfMessagesNotVisible"] == 0
    assert app.calls() == []
