"""SQS mappings read from templates and validated as CreateEventSourceMapping does; the
verdict rules of batch responses (pure units)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lambdabox.app.invoker import EmulatorInvoker
from lambdabox.template.model import Resource, Template
from lambdabox.triggers.sqs.declarations import declared_mappings
from lambdabox.triggers.sqs.errors import SqsConfigError
from lambdabox.triggers.sqs.provision import in_creation_order, queue_spec
from lambdabox.triggers.sqs.responses import judge

ARN = "arn:aws:sqs:us-east-1:123456789012:jobs"
FIFO_ARN = "arn:aws:sqs:us-east-1:123456789012:jobs.fifo"


def template_with(props: dict[str, Any], *extra: Resource) -> Template:
    fn = Resource(
        "Worker",
        "AWS::Serverless::Function",
        {"Events": {"Jobs": {"Type": "SQS", "Properties": props}, "Api": {"Type": "HttpApi"}}},
    )
    resources = {r.path: r for r in (fn, *extra)}
    return Template(path=Path("/tmp/template.yaml"), resources=resources)


def test_defaults_and_all_properties() -> None:
    (spec,) = declared_mappings(template_with({"Queue": ARN}))
    assert (spec.function, spec.batch_size, spec.window_s, spec.enabled) == ("Worker", 10, 0, True)
    assert spec.source == "Worker.Events.Jobs"
    assert not spec.report_failures
    assert spec.max_concurrency is None
    assert not spec.filters
    (spec,) = declared_mappings(
        template_with(
            {
                "Queue": ARN,
                "BatchSize": 500,
                "MaximumBatchingWindowInSeconds": 5,
                "FunctionResponseTypes": ["ReportBatchItemFailures"],
                "ScalingConfig": {"MaximumConcurrency": 7},
                "FilterCriteria": {"Filters": [{"Pattern": '{"body": {"a": [1]}}'}]},
                "Enabled": "false",
            }
        )
    )
    assert (spec.batch_size, spec.window_s, spec.max_concurrency) == (500, 5, 7)
    assert spec.report_failures
    assert not spec.enabled
    assert len(spec.filters.patterns) == 1


def test_event_source_mapping_resources_on_queues_only() -> None:
    esm = Resource(
        "Map",
        "AWS::Lambda::EventSourceMapping",
        {"EventSourceArn": FIFO_ARN, "FunctionName": "worker-fn", "BatchSize": 10},
    )
    kinesis = Resource(
        "Stream",
        "AWS::Lambda::EventSourceMapping",
        {"EventSourceArn": "arn:aws:kinesis:us-east-1:1:stream/s", "FunctionName": "f"},
    )
    specs = list(declared_mappings(template_with({"Queue": ARN}, esm, kinesis)))
    assert [(s.source, s.function, s.queue.name) for s in specs] == [
        ("Worker.Events.Jobs", "Worker", "jobs"),
        ("Map", "worker-fn", "jobs.fifo"),
    ]


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"Queue": ARN, "BatchSize": 0}, "BatchSize: 0; SQS takes 1 to 10000"),
        ({"Queue": ARN, "BatchSize": 10001}, "1 to 10000"),
        ({"Queue": ARN, "BatchSize": 11}, "needs MaximumBatchingWindowInSeconds of at least 1"),
        ({"Queue": ARN, "BatchSize": "ten"}, "not a whole number"),
        ({"Queue": FIFO_ARN, "BatchSize": 11, "MaximumBatchingWindowInSeconds": 1}, "FIFO"),
        ({"Queue": FIFO_ARN, "MaximumBatchingWindowInSeconds": 1}, "take no batching window"),
        ({"Queue": ARN, "MaximumBatchingWindowInSeconds": 301}, "0 to 300"),
        ({"Queue": ARN, "FunctionResponseTypes": ["Other"]}, "[ReportBatchItemFailures]"),
        ({"Queue": ARN, "ScalingConfig": {"MaximumConcurrency": 1}}, "2 to 1000"),
        ({"Queue": ARN, "Enabled": "maybe"}, "true or false"),
        ({"Queue": "https://sqs.us-east-1.amazonaws.com/1/jobs"}, "!GetAtt Queue.Arn"),
        ({"Queue": "jobs"}, "not an SQS queue ARN"),
        ({"Queue": ARN, "FilterCriteria": {"Filters": [{"Pattern": "x"}]}}, "not valid JSON"),
    ],
)
def test_invalid_declarations_name_resource_property_and_fix(
    props: dict[str, Any], message: str
) -> None:
    with pytest.raises(SqsConfigError, match=r"Worker\.Events\.Jobs") as info:
        list(declared_mappings(template_with(props)))
    assert message in str(info.value)


def test_queue_names_attributes_and_dlq_first() -> None:
    dlq = Resource("Dlq", "AWS::SQS::Queue", {"FifoQueue": True})
    main = Resource(
        "Main",
        "AWS::SQS::Queue",
        {
            "FifoQueue": "true",
            "VisibilityTimeout": 60,
            "ContentBasedDeduplication": True,
            "RedrivePolicy": {
                "deadLetterTargetArn": "arn:aws:sqs:us-east-1:123456789012:app-Dlq.fifo",
                "maxReceiveCount": 3,
            },
        },
    )
    specs = in_creation_order([queue_spec(main, "app"), queue_spec(dlq, "app")])
    assert [s.name for s in specs] == ["app-Dlq.fifo", "app-Main.fifo"]
    assert specs[1].attributes == {
        "ContentBasedDeduplication": "true",
        "VisibilityTimeout": "60",
        "FifoQueue": "true",
        "RedrivePolicy": '{"deadLetterTargetArn": '
        '"arn:aws:sqs:us-east-1:123456789012:app-Dlq.fifo", "maxReceiveCount": 3}',
    }
    bad = Resource("Q", "AWS::SQS::Queue", {"QueueName": "plain", "FifoQueue": True})
    with pytest.raises(SqsConfigError, match=r"Q.QueueName: 'plain'; a FIFO queue's name"):
        queue_spec(bad, "app")


IDS = ["m1", "m2", "m3"]


@pytest.mark.parametrize(
    ("body", "error", "report", "kind", "keep"),
    [
        (b'{"whatever": 1}', False, False, "success", set()),
        (b'{"errorType": "ValueError"}', True, False, "failure", set(IDS)),
        (b'{"errorType": "ValueError"}', True, True, "failure", set(IDS)),
        (b"", False, True, "success", set()),
        (b"null", False, True, "success", set()),
        (b"{}", False, True, "success", set()),
        (b'{"batchItemFailures": []}', False, True, "success", set()),
        (b'{"batchItemFailures": null}', False, True, "success", set()),
        (b'{"batchItemFailures": [{"itemIdentifier": "m2"}]}', False, True, "partial", {"m2"}),
        (b"{not json", False, True, "failure", set(IDS)),
        (b'{"batchItemFailures": [{"itemIdentifier": ""}]}', False, True, "failure", set(IDS)),
        (b'{"batchItemFailures": [{"itemIdentifier": null}]}', False, True, "failure", set(IDS)),
        (b'{"batchItemFailures": [{"itemId": "m1"}]}', False, True, "failure", set(IDS)),
        (b'{"batchItemFailures": [{"itemIdentifier": "m9"}]}', False, True, "failure", set(IDS)),
        (b'{"batchItemFailures": "m1"}', False, True, "failure", set(IDS)),
        (b"[]", False, True, "failure", set(IDS)),
    ],
)
def test_batch_verdicts(body: bytes, error: bool, report: bool, kind: str, keep: set[str]) -> None:
    verdict = judge(body, error, IDS, report)
    assert (verdict.kind, set(verdict.keep)) == (kind, keep)


def test_visibility_timeout_shorter_than_function_timeout_is_refused() -> None:
    from lambdabox.triggers.ports import AppSettings
    from lambdabox.triggers.sqs import triggers

    queue = Resource("Jobs", "AWS::SQS::Queue", {"QueueName": "jobs", "VisibilityTimeout": 20})
    fn = Resource(
        "Worker",
        "AWS::Serverless::Function",
        {"Timeout": 60, "Events": {"Jobs": {"Type": "SQS", "Properties": {"Queue": ARN}}}},
    )
    template = Template(path=Path("/tmp/t.yaml"), resources={"Jobs": queue, "Worker": fn})
    with pytest.raises(SqsConfigError, match=r"VisibilityTimeout 20 s, less than Worker\.Timeout"):
        triggers(template, EmulatorInvoker({}), AppSettings())


def test_mapping_from_command_line_flags() -> None:
    from lambdabox.triggers.sqs import spec_for_queue

    spec = spec_for_queue("Fn", "http://127.0.0.1:5000/123456789012/jobs", "eu-west-1", BatchSize=3)
    assert (str(spec.queue), spec.batch_size) == ("arn:aws:sqs:eu-west-1:123456789012:jobs", 3)
    with pytest.raises(SqsConfigError, match=r"--sqs\.BatchSize"):
        spec_for_queue("Fn", ARN, "us-east-1", BatchSize=0)


def test_mappings_name_functions_by_logical_id() -> None:
    from lambdabox.triggers.ports import AppSettings
    from lambdabox.triggers.sqs import triggers

    fn = Resource("Worker", "AWS::Serverless::Function", {"FunctionName": "worker-fn"})
    by_arn = Resource(
        "ByArn",
        "AWS::Lambda::EventSourceMapping",
        {
            "EventSourceArn": ARN,
            "FunctionName": "arn:aws:lambda:us-east-1:123456789012:function:worker-fn",
        },
    )
    by_name = Resource(
        "ByName",
        "AWS::Lambda::EventSourceMapping",
        {"EventSourceArn": ARN, "FunctionName": "worker-fn", "BatchSize": 2},
    )
    template = Template(
        path=Path("/tmp/t.yaml"), resources={"Worker": fn, "ByArn": by_arn, "ByName": by_name}
    )
    made = triggers(template, EmulatorInvoker({}), AppSettings())
    lines = [t.describe()[0] for t in made]
    assert [(line.function, line.text) for line in lines] == [
        ("Worker", "sqs jobs -> Worker (batch 10, window 0 s)"),
        ("Worker", "sqs jobs -> Worker (batch 2, window 0 s)"),
    ]
    assert lines[1].detail["source"] == "ByName"
