"""What `!Ref` and `!GetAtt` of a template's resources give when the template runs here.

Functions resolve to their FunctionName and a local ARN, queues to the local SQS endpoint's
URL and ARN, streams and tables to their names and ARNs (see the table in the app/sources
agreement); resources lambdabox does not run get a stable, plausible value
(`{stack}-{LogicalId}`, an ARN of their service) so templates that pass them around still
resolve. Physical names that come from a property (FunctionName, QueueName, ...) are
resolved through the resolver given, since they may themselves use intrinsics.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from lambdabox.template.errors import ResolveError
from lambdabox.template.parameters import Stack

FUNCTION_TYPES = ("AWS::Serverless::Function", "AWS::Lambda::Function")
LAYER_TYPES = ("AWS::Serverless::LayerVersion", "AWS::Lambda::LayerVersion")
_NAME_PROPERTY = {
    "AWS::Serverless::Function": "FunctionName",
    "AWS::Lambda::Function": "FunctionName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::Kinesis::Stream": "Name",
    "AWS::DynamoDB::Table": "TableName",
    "AWS::Serverless::SimpleTable": "TableName",
    "AWS::SNS::Topic": "TopicName",
    "AWS::S3::Bucket": "BucketName",
    "AWS::IAM::Role": "RoleName",
    "AWS::Serverless::LayerVersion": "LayerName",
    "AWS::Lambda::LayerVersion": "LayerName",
    "AWS::Events::Rule": "Name",
    "AWS::Scheduler::Schedule": "Name",
}
NAMED_TYPES = frozenset(_NAME_PROPERTY)
_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "AWS::Serverless::Function": ("Arn",),
    "AWS::Lambda::Function": ("Arn",),
    "AWS::SQS::Queue": ("Arn", "QueueName", "QueueUrl"),
    "AWS::Kinesis::Stream": ("Arn",),
    "AWS::DynamoDB::Table": ("Arn", "StreamArn"),
    "AWS::Lambda::Url": ("FunctionUrl", "FunctionArn"),
}


@dataclass(frozen=True)
class Endpoints:
    """Local addresses that resolved values point at."""

    sqs: str | None = None  # None: the service's public endpoint
    http_base: str = "http://127.0.0.1:3000"
    function_url: Callable[[str], str] | None = None  # function path -> its URL


class LocalValues:
    """Ref and GetAtt of the resources of one stack."""

    def __init__(
        self,
        resources: Mapping[str, Any],
        stack: Stack,
        endpoints: Endpoints,
        resolve: Callable[[Any, str], Any],
        prefix: tuple[str, ...] = (),
    ) -> None:
        self._resources = resources
        self._stack = stack
        self._endpoints = endpoints
        self._resolve = resolve
        self._prefix = prefix

    def type_of(self, logical_id: str) -> str | None:
        body = self._resources.get(logical_id)
        return str(body["Type"]) if isinstance(body, dict) else None

    def physical_name(self, logical_id: str) -> str:
        """The resource's name: its name property if set, else as lambdabox names it."""
        kind = self.type_of(logical_id) or ""
        body = self._resources[logical_id]
        prop = _NAME_PROPERTY.get(kind)
        props = body.get("Properties") or {}
        if prop and isinstance(props, dict) and prop in props:
            value = self._resolve(props[prop], f"Resources.{logical_id}.Properties.{prop}")
            if not isinstance(value, str):
                raise ResolveError(
                    f"{prop} must be a string, not {type(value).__name__}",
                    where=f"Resources.{logical_id}.Properties.{prop}",
                    fix="give a plain name",
                )
            return value
        if kind in FUNCTION_TYPES:
            # As `sam local` names them: the logical id (nested: Stack-Inner-Id).
            return "-".join([*self._prefix, logical_id])
        name = f"{self._stack.name}-{logical_id}"
        if kind == "AWS::SQS::Queue" and _true(props.get("FifoQueue")):
            name += ".fifo"
        return name

    def _arn(self, service: str, resource: str, region: bool = True) -> str:
        where = self._stack.region if region else ""
        return f"arn:{self._stack.partition}:{service}:{where}:{self._stack.account_id}:{resource}"

    def ref(self, logical_id: str) -> Any:
        kind = self.type_of(logical_id) or ""
        name = self.physical_name(logical_id)
        if kind == "AWS::SQS::Queue":
            base = self._endpoints.sqs or f"https://sqs.{self._stack.region}.amazonaws.com"
            return f"{base.rstrip('/')}/{self._stack.account_id}/{name}"
        if kind in LAYER_TYPES:
            return self._arn("lambda", f"layer:{name}:1")
        if kind == "AWS::SNS::Topic":
            return self._arn("sns", name)
        if kind in ("AWS::Lambda::Url", "AWS::Lambda::Permission", "AWS::Lambda::Version"):
            return self._arn("lambda", f"function:{name}")
        return name

    def get_att(self, logical_id: str, attribute: str, where: str) -> Any:
        kind = self.type_of(logical_id) or ""
        known = _ATTRIBUTES.get(kind)
        if known is not None and attribute not in known:
            raise ResolveError(
                f"{kind} {logical_id} has no attribute {attribute!r} here",
                where=where,
                fix=f"use one of: {', '.join(known)}",
            )
        name = self.physical_name(logical_id)
        if kind in FUNCTION_TYPES:
            return self._arn("lambda", f"function:{name}")
        if kind == "AWS::SQS::Queue":
            return {
                "Arn": self._arn("sqs", name),
                "QueueName": name,
                "QueueUrl": self.ref(logical_id),
            }[attribute]
        if kind == "AWS::Kinesis::Stream":
            return self._arn("kinesis", f"stream/{name}")
        if kind == "AWS::DynamoDB::Table":
            table = self._arn("dynamodb", f"table/{name}")
            return f"{table}/stream/1970-01-01T00:00:00.000" if attribute == "StreamArn" else table
        if kind == "AWS::Lambda::Url":
            return self._function_url(logical_id, attribute)
        if attribute in ("ApiEndpoint", "RootUrl") or kind in (
            "AWS::Serverless::Api",
            "AWS::Serverless::HttpApi",
        ):
            return self._endpoints.http_base if attribute == "ApiEndpoint" else name
        if attribute == "Arn":
            service = kind.split("::")[1].lower() if kind.count("::") >= 2 else "unknown"
            resource = re.sub(r"(?<!^)(?=[A-Z])", "-", kind.split("::")[-1]).lower()
            return self._arn(service, f"{resource}/{name}", region=service != "iam")
        return f"{name}.{attribute}"

    def _function_url(self, logical_id: str, attribute: str) -> str:
        props = self._resources[logical_id].get("Properties") or {}
        target = props.get("TargetFunctionArn")
        target_id = _target_id(target)
        if attribute == "FunctionArn":
            return str(self._resolve(target, f"Resources.{logical_id}.Properties"))
        path = ".".join([*self._prefix, target_id or logical_id])
        if self._endpoints.function_url is not None:
            return self._endpoints.function_url(path)
        return self._endpoints.http_base.rstrip("/") + "/"


def _target_id(target: Any) -> str | None:
    if isinstance(target, dict):
        if "Ref" in target:
            return str(target["Ref"])
        att = target.get("Fn::GetAtt")
        if isinstance(att, list) and att:
            return str(att[0])
    return None


def _true(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")
