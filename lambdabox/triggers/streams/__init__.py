"""Kinesis and DynamoDB Streams event source mappings.

Holds the `Kinesis` / `DynamoDB` event and EventSourceMapping reader (`config`), stream
access through boto3 (`sources`), the per-shard batch workers with the service's retry,
bisect, partial-failure and tumbling-window rules (`worker`, `response`), the invocation of
one batch (`invoke`), the OnFailure record (`failure`), the running mapping (`mapping`),
resource creation on a local endpoint (`provision`) and pytest helpers (`testing`). May
import `lambdabox.triggers.ports`, `lambdabox.template` and boto3; nothing above the
triggers layer.
"""

from __future__ import annotations

from lambdabox.template.model import Template
from lambdabox.triggers.ports import AppSettings, FunctionInvoker, Trigger
from lambdabox.triggers.streams.config import StreamMapping, mappings
from lambdabox.triggers.streams.errors import MappingConfigError, SourceError, StreamsError
from lambdabox.triggers.streams.mapping import StreamMappingTrigger
from lambdabox.triggers.streams.provision import provision
from lambdabox.triggers.streams.records import BatchRecord

__all__ = [
    "BatchRecord",
    "MappingConfigError",
    "SourceError",
    "StreamMapping",
    "StreamMappingTrigger",
    "StreamsError",
    "provision",
    "triggers",
]


def _role_arn(template: Template, function: str, account: str) -> str:
    """The function's execution role (the records' `invokeIdentityArn`)."""
    res = template.resources.get(function)
    role = res.properties.get("Role") if res is not None else None
    if isinstance(role, str) and role.startswith("arn:"):
        return role
    return f"arn:aws:iam::{account}:role/{function}-role"


def triggers(template: Template, invoker: FunctionInvoker, settings: AppSettings) -> list[Trigger]:
    """One running mapping per `Kinesis` / `DynamoDB` event and stream EventSourceMapping.

    The streams are read from `settings.extra["aws_endpoint"]` (moto's server locally), or
    from AWS when no endpoint is set."""
    return [
        StreamMappingTrigger(
            m, invoker, settings, _role_arn(template, m.function, settings.account_id)
        )
        for m in mappings(template)
    ]
