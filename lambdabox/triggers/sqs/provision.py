"""Create a template's `AWS::SQS::Queue` resources on an SQS endpoint (moto, ElasticMQ...).

Dead-letter queues are created before the queues whose `RedrivePolicy` names them. Running it
again against the same endpoint (lambdabox restarted) keeps the queues and their messages,
updating attributes that changed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lambdabox.template.model import Resource, Template
from lambdabox.triggers.ports import AppSettings
from lambdabox.triggers.sqs.arns import QueueArn, parse_arn, queue_name
from lambdabox.triggers.sqs.client import sqs_client
from lambdabox.triggers.sqs.errors import SqsConfigError, SqsEndpointError

# CloudFormation properties passed through as queue attributes (values as strings).
PLAIN_ATTRIBUTES = (
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "DelaySeconds",
    "FifoThroughputLimit",
    "KmsDataKeyReusePeriodSeconds",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "SqsManagedSseEnabled",
    "VisibilityTimeout",
)


@dataclass(frozen=True)
class QueueSpec:
    """A queue to create: its name, attributes, and the queue it dead-letters to."""

    path: str
    name: str
    attributes: Mapping[str, str]
    dead_letter_name: str | None = None


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def queue_spec(res: Resource, stack_name: str) -> QueueSpec:
    props = res.properties
    name = queue_name(res.logical_id, props, stack_name)
    fifo = _text(props.get("FifoQueue", "false")).lower() == "true"
    if fifo != name.endswith(".fifo"):
        raise SqsConfigError(
            f"{res.path}.QueueName: {name!r}; a FIFO queue's name ends in .fifo and only a "
            "FIFO queue's does (set FifoQueue: true or rename it)"
        )
    attributes = {k: _text(props[k]) for k in PLAIN_ATTRIBUTES if k in props}
    if fifo:
        attributes["FifoQueue"] = "true"
    dlq = None
    redrive = props.get("RedrivePolicy")
    if redrive is not None:
        if isinstance(redrive, str):
            redrive = json.loads(redrive)
        if not isinstance(redrive, Mapping) or "deadLetterTargetArn" not in redrive:
            raise SqsConfigError(
                f"{res.path}.RedrivePolicy: write {{deadLetterTargetArn: !GetAtt DLQ.Arn, "
                "maxReceiveCount: N}}"
            )
        target = parse_arn(redrive["deadLetterTargetArn"], f"{res.path}.RedrivePolicy")
        count = redrive.get("maxReceiveCount", 10)
        attributes["RedrivePolicy"] = json.dumps(
            {"deadLetterTargetArn": str(target), "maxReceiveCount": int(count)}
        )
        dlq = target.name
    if "RedriveAllowPolicy" in props:
        allow = props["RedriveAllowPolicy"]
        attributes["RedriveAllowPolicy"] = allow if isinstance(allow, str) else json.dumps(allow)
    return QueueSpec(res.path, name, attributes, dlq)


def in_creation_order(specs: list[QueueSpec]) -> list[QueueSpec]:
    """Dead-letter queues first (a queue after the queue it redrives to)."""
    by_name = {s.name: s for s in specs}
    ordered: list[QueueSpec] = []
    seen: set[str] = set()

    def visit(spec: QueueSpec, chain: tuple[str, ...]) -> None:
        if spec.name in seen:
            return
        if spec.name in chain:
            raise SqsConfigError(f"{spec.path}.RedrivePolicy: queues redrive to each other")
        target = by_name.get(spec.dead_letter_name or "")
        if target is not None:
            visit(target, (*chain, spec.name))
        seen.add(spec.name)
        ordered.append(spec)

    for spec in specs:
        visit(spec, ())
    return ordered


def provision(template: Template, endpoint: str | None, settings: AppSettings) -> list[QueueArn]:
    """Create every `AWS::SQS::Queue` of `template` on `endpoint`; returns their ARNs."""
    specs = [queue_spec(r, template.stack_name) for r in template.of_type("AWS::SQS::Queue")]
    if not specs:
        return []
    from botocore.exceptions import BotoCoreError, ClientError

    client = sqs_client(endpoint, settings.region)
    arns: list[QueueArn] = []
    for spec in in_creation_order(specs):
        try:
            url = _create(client, spec)
            attrs = client.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        except ClientError as exc:
            raise SqsEndpointError(f"{spec.path}: creating queue {spec.name}: {exc}") from None
        except BotoCoreError as exc:
            raise SqsEndpointError(
                f"SQS endpoint {endpoint} unreachable ({exc}); start it or give --sqs-endpoint"
            ) from None
        arns.append(parse_arn(attrs["Attributes"]["QueueArn"], spec.path))
    return arns


def _create(client: Any, spec: QueueSpec) -> str:
    from botocore.exceptions import ClientError

    try:
        return str(
            client.create_queue(QueueName=spec.name, Attributes=dict(spec.attributes))["QueueUrl"]
        )
    except ClientError as exc:
        if "QueueAlreadyExists" not in exc.response.get("Error", {}).get("Code", ""):
            raise
    url = str(client.get_queue_url(QueueName=spec.name)["QueueUrl"])
    changeable = {k: v for k, v in spec.attributes.items() if k != "FifoQueue"}
    if changeable:
        client.set_queue_attributes(QueueUrl=url, Attributes=changeable)
    return url
