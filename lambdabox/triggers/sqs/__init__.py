"""SQS queues as event sources, as Lambda's SQS event source mapping runs them.

`triggers(template, invoker, settings)` returns one `SqsMapping` per `SQS` event and per
`AWS::Lambda::EventSourceMapping` on a queue ARN; each polls its queue through boto3 on
`settings.sqs_endpoint` (AWS itself, ElasticMQ, LocalStack, moto). `provision(template,
endpoint, settings)` creates the template's `AWS::SQS::Queue` resources there. Also here:
`destinations.send` (asynchronous-invocation records to a queue) and `testing.SqsHelper`.

May import: `lambdabox.template`, `lambdabox.triggers.ports`, `lambdabox.triggers.filters`,
boto3/botocore and the standard library.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from lambdabox.template.model import Template
from lambdabox.triggers.ports import AppSettings, FunctionInvoker, Trigger
from lambdabox.triggers.sqs.declarations import (
    SqsMappingSpec,
    check_visibility,
    declared_mappings,
    spec_for_queue,
)
from lambdabox.triggers.sqs.errors import SqsConfigError, SqsEndpointError, SqsError
from lambdabox.triggers.sqs.poller import SqsMapping
from lambdabox.triggers.sqs.provision import provision

__all__ = [
    "SqsConfigError",
    "SqsEndpointError",
    "SqsError",
    "SqsMapping",
    "SqsMappingSpec",
    "provision",
    "spec_for_queue",
    "triggers",
]


def _logical_id(template: Template, function: str) -> str:
    """The logical id of the function a mapping names by logical id, name or ARN."""
    for fn in template.functions():
        name = fn.properties.get("FunctionName")
        if function == fn.path or (name and function in (name, f"{name}:$LATEST")):
            return fn.path
        if name and function.startswith("arn:") and function.split(":")[6:7] == [name]:
            return fn.path
    return function


def triggers(
    template: Template, invoker: FunctionInvoker, settings: AppSettings
) -> Sequence[Trigger]:
    """One mapping per SQS declaration of `template` (SqsConfigError on an invalid one)."""
    out: list[Trigger] = []
    for declared in declared_mappings(template):
        spec = replace(declared, function=_logical_id(template, declared.function))
        check_visibility(template, spec)
        out.append(SqsMapping(spec, invoker, settings, settings.sqs_endpoint))
    return out
