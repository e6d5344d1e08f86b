"""Create the template's Kinesis streams and DynamoDB tables (with their streams) on a
local endpoint, so the mappings (and the functions' own SDK calls) find them, and the SNS
topics and S3 buckets the mappings send OnFailure records to."""

from __future__ import annotations

import asyncio
import urllib.parse
from collections.abc import Mapping
from typing import Any

import botocore.exceptions

from lambdabox.template.model import Template
from lambdabox.triggers.ports import AppSettings
from lambdabox.triggers.streams.config import destination_kind, mappings
from lambdabox.triggers.streams.errors import SourceError
from lambdabox.triggers.streams.sources import client


def _stream_name(template: Template, logical_id: str, props: Mapping[str, Any]) -> str:
    return str(props.get("Name") or f"{template.stack_name}-{logical_id}")


def _table_name(template: Template, logical_id: str, props: Mapping[str, Any]) -> str:
    return str(props.get("TableName") or f"{template.stack_name}-{logical_id}")


def _create_all(template: Template, endpoint: str, settings: AppSettings) -> list[str]:
    done: list[str] = []
    kinesis = client("kinesis", endpoint, settings.region)
    for res in template.of_type("AWS::Kinesis::Stream"):
        name = _stream_name(template, res.logical_id, res.properties)
        shards = int(res.properties.get("ShardCount", 1))
        try:
            kinesis.create_stream(StreamName=name, ShardCount=shards)
            done.append(f"kinesis stream {name} ({shards} shards)")
        except botocore.exceptions.ClientError as exc:
            if "ResourceInUse" not in str(exc):
                raise SourceError(f"{res.path}: cannot create stream {name}: {exc}") from None
        kinesis.get_waiter("stream_exists").wait(
            StreamName=name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 100}
        )
    dynamodb = client("dynamodb", endpoint, settings.region)
    for res in template.of_type("AWS::DynamoDB::Table", "AWS::Serverless::SimpleTable"):
        p = res.properties
        name = _table_name(template, res.logical_id, p)
        args: dict[str, Any] = {"TableName": name}
        if res.type == "AWS::Serverless::SimpleTable":
            key = p.get("PrimaryKey") or {"Name": "id", "Type": "String"}
            kind = {"String": "S", "Number": "N", "Binary": "B"}[key.get("Type", "String")]
            args.update(
                KeySchema=[{"AttributeName": key["Name"], "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": key["Name"], "AttributeType": kind}],
            )
        else:
            args.update(KeySchema=p["KeySchema"], AttributeDefinitions=p["AttributeDefinitions"])
        args["BillingMode"] = p.get("BillingMode", "PAY_PER_REQUEST")
        if args["BillingMode"] == "PROVISIONED" or "ProvisionedThroughput" in p:
            args["BillingMode"] = "PROVISIONED"
            args["ProvisionedThroughput"] = p.get(
                "ProvisionedThroughput", {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
            )
        for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
            if key in p:
                args[key] = p[key]
        spec = p.get("StreamSpecification")
        if spec:
            args["StreamSpecification"] = {
                "StreamEnabled": True,
                "StreamViewType": spec.get("StreamViewType", "NEW_AND_OLD_IMAGES"),
            }
        try:
            dynamodb.create_table(**args)
            done.append(f"dynamodb table {name}" + (" with stream" if spec else ""))
        except botocore.exceptions.ClientError as exc:
            if "ResourceInUse" not in str(exc):
                raise SourceError(f"{res.path}: cannot create table {name}: {exc}") from None
    done += _create_destinations(template, endpoint, settings)
    return done


def _create_destinations(template: Template, endpoint: str, settings: AppSettings) -> list[str]:
    """The SNS topics and S3 buckets that stream mappings name as OnFailure destinations,
    created on a local endpoint (moto) so failure records have somewhere to go; on any
    other endpoint they must exist already."""
    host = urllib.parse.urlsplit(endpoint).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        return []
    done: list[str] = []
    for arn in sorted({m.on_failure for m in mappings(template) if m.on_failure}):
        kind, resource = destination_kind(arn), arn.split(":", 5)[5]
        if kind == "sns":
            client("sns", endpoint, arn.split(":")[3] or settings.region).create_topic(
                Name=resource
            )
            done.append(f"sns topic {resource}")
        elif kind == "s3":
            s3 = client("s3", endpoint, settings.region)
            bucket = resource.split("/", 1)[0]
            try:
                s3.create_bucket(Bucket=bucket)
                done.append(f"s3 bucket {bucket}")
            except botocore.exceptions.ClientError as exc:
                if "BucketAlreadyOwnedByYou" not in str(exc):
                    raise SourceError(f"cannot create bucket {bucket}: {exc}") from None
    return done


async def provision(template: Template, endpoint: str, settings: AppSettings) -> list[str]:
    """Create every `AWS::Kinesis::Stream` and `AWS::DynamoDB::Table` (its
    `StreamSpecification` included) of the template on `endpoint`; existing ones are kept.
    Returns one line per resource created."""
    created = await asyncio.to_thread(_create_all, template, endpoint, settings)
    for line in created:
        settings.notes(f"created {line} on {endpoint}")
    return created
