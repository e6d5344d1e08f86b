"""`Kinesis` and `DynamoDB` events and stream EventSourceMappings, read into `StreamMapping`s.

Ranges and defaults are the service's (Lambda developer guide, "Lambda parameters for
Kinesis / DynamoDB event source mappings"): BatchSize 1-10,000 (DynamoDB 1-1,000), default
100; MaximumBatchingWindowInSeconds 0-300, default 0; MaximumRetryAttempts -1 (infinite) to
10,000; MaximumRecordAgeInSeconds -1 or 60-604,800; ParallelizationFactor 1-10;
TumblingWindowInSeconds 0-900; StartingPosition is required.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from lambdabox.template.model import Resource, Template
from lambdabox.triggers.streams.errors import MappingConfigError

POSITIONS = ("TRIM_HORIZON", "LATEST", "AT_TIMESTAMP")


@dataclass(frozen=True)
class StreamMapping:
    """One stream -> function mapping, as the service would run it."""

    name: str  # where it was declared: "Fn.Events.Stream" or the ESM's logical id
    kind: str  # "kinesis" or "dynamodb"
    function: str
    source_arn: str
    starting_position: str
    starting_timestamp: float | None = None
    batch_size: int = 100
    window_s: float = 0.0
    bisect: bool = False
    max_retries: int = -1
    max_record_age_s: int = -1
    report_item_failures: bool = False
    parallelization: int = 1
    on_failure: str | None = None
    tumbling_window_s: int = 0
    enabled: bool = True
    filters: tuple[Mapping[str, Any], ...] = field(default=())  # FilterCriteria.Filters

    @property
    def source_name(self) -> str:
        """The stream name (Kinesis) or table name (DynamoDB) from the ARN."""
        resource = self.source_arn.split(":", 5)[5]
        return resource.split("/")[1]


def destination_kind(arn: object) -> str | None:
    """ "sqs", "sns" or "s3" for an ARN the stream OnFailure destination accepts, else None."""
    if not isinstance(arn, str) or not arn.startswith("arn:"):
        return None
    parts = arn.split(":", 5)
    if len(parts) < 6 or not parts[5]:
        return None
    return parts[2] if parts[2] in ("sqs", "sns", "s3") else None


def _kind(arn: object) -> str | None:
    if not isinstance(arn, str) or not arn.startswith("arn:"):
        return None
    service = arn.split(":")[2] if arn.count(":") >= 5 else ""
    if service == "kinesis" and ":stream/" in arn:
        return "kinesis"
    if service == "dynamodb" and "/stream/" in arn:
        return "dynamodb"
    return None


def is_stream_arn(arn: object) -> bool:
    return _kind(arn) is not None


def mappings(template: Template) -> Iterator[StreamMapping]:
    """Every Kinesis / DynamoDB Streams mapping of the template, in template order."""
    for fn in template.functions():
        for event_name, event in (fn.properties.get("Events") or {}).items():
            if isinstance(event, Mapping) and event.get("Type") in ("Kinesis", "DynamoDB"):
                where = f"{fn.path}.Events.{event_name}"
                yield read(where, fn.path, event.get("Properties") or {}, "Stream")
    for esm in template.of_type("AWS::Lambda::EventSourceMapping"):
        if is_stream_arn(esm.properties.get("EventSourceArn")):
            yield _read_esm(esm)


def _read_esm(esm: Resource) -> StreamMapping:
    function = esm.properties.get("FunctionName")
    if not isinstance(function, str) or not function:
        raise MappingConfigError(f"{esm.path}: FunctionName is required (a function's name or ARN)")
    return read(esm.path, function, esm.properties, "EventSourceArn")


def read(where: str, function: str, props: Mapping[str, Any], arn_key: str) -> StreamMapping:
    """One mapping from an event's or EventSourceMapping's properties."""
    arn = props.get(arn_key)
    kind = _kind(arn)
    if kind is None:
        raise MappingConfigError(
            f"{where}: {arn_key} must be a Kinesis stream ARN (arn:aws:kinesis:REGION:ACCOUNT:"
            f"stream/NAME) or a DynamoDB stream ARN (…:table/NAME/stream/LABEL), got {arn!r}"
        )
    position = props.get("StartingPosition")
    if position not in POSITIONS:
        raise MappingConfigError(
            f"{where}: StartingPosition is required: one of {', '.join(POSITIONS)}, "
            f"got {position!r}"
        )
    stamp = props.get("StartingPositionTimestamp")
    if position == "AT_TIMESTAMP" and not isinstance(stamp, (int, float)):
        raise MappingConfigError(
            f"{where}: AT_TIMESTAMP needs StartingPositionTimestamp (seconds since the epoch)"
        )
    if kind == "dynamodb" and position == "AT_TIMESTAMP":
        raise MappingConfigError(f"{where}: DynamoDB streams start at TRIM_HORIZON or LATEST")
    on_failure = ((props.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
    if on_failure is not None and destination_kind(on_failure) is None:
        raise MappingConfigError(
            f"{where}: DestinationConfig.OnFailure.Destination must be the ARN of an SQS "
            "queue, SNS topic or S3 bucket (arn:aws:sqs:REGION:ACCOUNT:NAME, "
            f"arn:aws:sns:REGION:ACCOUNT:NAME, arn:aws:s3:::BUCKET), got {on_failure!r}"
        )
    types = props.get("FunctionResponseTypes") or []
    if not isinstance(types, list) or any(t != "ReportBatchItemFailures" for t in types):
        raise MappingConfigError(
            f"{where}: FunctionResponseTypes may only hold ReportBatchItemFailures, got {types!r}"
        )
    filters = (props.get("FilterCriteria") or {}).get("Filters") or []
    return StreamMapping(
        name=where,
        kind=kind,
        function=function,
        source_arn=str(arn),
        starting_position=str(position),
        starting_timestamp=float(stamp) if isinstance(stamp, (int, float)) else None,
        batch_size=_int(where, props, "BatchSize", 100, 1, 1000 if kind == "dynamodb" else 10_000),
        window_s=_int(where, props, "MaximumBatchingWindowInSeconds", 0, 0, 300),
        bisect=_bool(where, props, "BisectBatchOnFunctionError", False),
        max_retries=_int(where, props, "MaximumRetryAttempts", -1, -1, 10_000),
        max_record_age_s=_age(where, props),
        report_item_failures=bool(types),
        parallelization=_int(where, props, "ParallelizationFactor", 1, 1, 10),
        on_failure=on_failure,
        tumbling_window_s=_int(where, props, "TumblingWindowInSeconds", 0, 0, 900),
        enabled=_bool(where, props, "Enabled", True),
        filters=tuple(f for f in filters if isinstance(f, Mapping)),
    )


def _int(where: str, props: Mapping[str, Any], key: str, default: int, lo: int, hi: int) -> int:
    value = props.get(key, default)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise MappingConfigError(
            f"{where}: {key} must be an integer from {lo} to {hi}, got {value!r}"
        )
    return value


def _age(where: str, props: Mapping[str, Any]) -> int:
    age = _int(where, props, "MaximumRecordAgeInSeconds", -1, -1, 604_800)
    if 0 <= age < 60:
        raise MappingConfigError(
            f"{where}: MaximumRecordAgeInSeconds must be -1 (infinite) or 60 to 604800, got {age}"
        )
    return age


def _bool(where: str, props: Mapping[str, Any], key: str, default: bool) -> bool:
    value = props.get(key, default)
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if not isinstance(value, bool):
        raise MappingConfigError(f"{where}: {key} must be true or false, got {value!r}")
    return value
