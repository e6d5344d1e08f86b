"""Queues provisioned from a template on moto; async-invocation records sent to queues."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from lambdabox.template.model import Resource, Template
from lambdabox.triggers.ports import AppSettings
from lambdabox.triggers.sqs import SqsConfigError, provision
from lambdabox.triggers.sqs.destinations import DeadLetter, send
from lambdabox.triggers.sqs.testing import SqsHelper


def test_provision_creates_queues_with_attributes_and_is_rerunnable(
    moto_endpoint: str, tmp_path: Path
) -> None:
    stack = f"prov{tmp_path.name[-6:].replace('_', '')}"
    dlq = Resource("Dlq", "AWS::SQS::Queue", {"MessageRetentionPeriod": 1209600})
    main = Resource(
        "Main",
        "AWS::SQS::Queue",
        {
            "VisibilityTimeout": 45,
            "DelaySeconds": 0,
            "ReceiveMessageWaitTimeSeconds": 2,
            "RedrivePolicy": {
                "deadLetterTargetArn": f"arn:aws:sqs:us-east-1:123456789012:{stack}-Dlq",
                "maxReceiveCount": 4,
            },
        },
    )
    fifo = Resource(
        "Ordered", "AWS::SQS::Queue", {"FifoQueue": True, "ContentBasedDeduplication": True}
    )
    template = Template(
        path=tmp_path / "t.yaml",
        resources={"Main": main, "Dlq": dlq, "Ordered": fifo},
        stack_name=stack,
    )
    settings = AppSettings(sqs_endpoint=moto_endpoint)
    arns = provision(template, moto_endpoint, settings)
    assert [a.name for a in arns] == [f"{stack}-Dlq", f"{stack}-Main", f"{stack}-Ordered.fifo"]
    helper = SqsHelper(moto_endpoint, template)
    client = helper.client
    attrs = client.get_queue_attributes(QueueUrl=helper.url("Main"), AttributeNames=["All"])[
        "Attributes"
    ]
    assert attrs["VisibilityTimeout"] == "45"
    assert attrs["ReceiveMessageWaitTimeSeconds"] == "2"
    assert json.loads(attrs["RedrivePolicy"]) == {
        "deadLetterTargetArn": f"arn:aws:sqs:us-east-1:123456789012:{stack}-Dlq",
        "maxReceiveCount": 4,
    }
    fifo_attrs = client.get_queue_attributes(
        QueueUrl=helper.url("Ordered"), AttributeNames=["All"]
    )["Attributes"]
    assert fifo_attrs["FifoQueue"] == "true"
    assert fifo_attrs["ContentBasedDeduplication"] == "true"

    helper.send("Main", "kept across restarts")
    changed = Resource("Main", "AWS::SQS::Queue", {**main.properties, "VisibilityTimeout": 60})
    again = Template(
        path=template.path, resources={**template.resources, "Main": changed}, stack_name=stack
    )
    provision(again, moto_endpoint, settings)
    attrs = client.get_queue_attributes(QueueUrl=helper.url("Main"), AttributeNames=["All"])[
        "Attributes"
    ]
    assert attrs["VisibilityTimeout"] == "60"
    assert [m["Body"] for m in helper.messages("Main")] == ["kept across restarts"]


def queue(moto_endpoint: str, tmp_path: Path, name: str) -> tuple[SqsHelper, str]:
    template = Template(
        path=tmp_path / "t.yaml",
        resources={"Q": Resource("Q", "AWS::SQS::Queue", {"QueueName": name})},
    )
    provision(template, moto_endpoint, AppSettings())
    return SqsHelper(moto_endpoint, template), f"arn:aws:sqs:us-east-1:123456789012:{name}"


def test_destination_record_is_the_message_body(moto_endpoint: str, tmp_path: Path) -> None:
    helper, arn = queue(moto_endpoint, tmp_path, f"dest-{tmp_path.name[-6:]}")
    notes: list[str] = []
    record = json.dumps({"version": "1.0", "requestContext": {"condition": "RetriesExhausted"}})
    message_id = asyncio.run(
        send(moto_endpoint, arn, record.encode(), AppSettings(notes=notes.append))
    )
    (message,) = helper.messages("Q")
    assert message["MessageId"] == message_id
    assert json.loads(message["Body"]) == json.loads(record)
    assert "MessageAttributes" not in message
    assert notes == [
        f"sqs {arn.split(':')[-1]}: async invocation record sent to destination ({message_id})"
    ]


def test_dead_letter_message_carries_the_service_attributes(
    moto_endpoint: str, tmp_path: Path
) -> None:
    helper, arn = queue(moto_endpoint, tmp_path, f"dlq-{tmp_path.name[-6:]}")
    info = DeadLetter(request_id="req-1", error_message="x" * 3000)
    asyncio.run(send(moto_endpoint, arn, b'{"original": "event"}', AppSettings(), dead_letter=info))
    (message,) = helper.messages("Q")
    assert message["Body"] == '{"original": "event"}'
    attrs = message["MessageAttributes"]
    assert attrs["RequestID"] == {"DataType": "String", "StringValue": "req-1"}
    assert attrs["ErrorCode"] == {"DataType": "Number", "StringValue": "200"}
    assert attrs["ErrorMessage"]["StringValue"] == "x" * 1024


def test_fifo_destinations_are_refused(moto_endpoint: str) -> None:
    arn = "arn:aws:sqs:us-east-1:123456789012:orders.fifo"
    with pytest.raises(SqsConfigError, match="standard queues"):
        asyncio.run(send(moto_endpoint, arn, b"{}", AppSettings()))
