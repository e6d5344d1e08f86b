"""`MQ` events and `AWS::Lambda::EventSourceMapping` for Amazon MQ, read into `MqMapping`s."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from lambdabox.template.model import Resource, Template
from lambdabox.triggers.filters import FilterCriteria, FilterError, compile_criteria
from lambdabox.triggers.filters.pattern import OrRule, Pattern
from lambdabox.triggers.rabbitmq.errors import MappingConfigError

DEFAULT_BATCH_SIZE = 100
MAX_BATCH_SIZE = 10_000
DEFAULT_WINDOW_S = 0.5
MAX_WINDOW_S = 300


@dataclass(frozen=True)
class MqMapping:
    """One RabbitMQ queue -> function mapping, as the service would run it."""

    name: str  # where it was declared: "Fn.Events.Orders" or the ESM's logical id
    function: str  # logical id (events) or FunctionName/ARN (EventSourceMapping)
    broker_arn: str
    queue: str
    vhost: str = "/"
    batch_size: int = DEFAULT_BATCH_SIZE
    window_s: float = DEFAULT_WINDOW_S
    enabled: bool = True
    criteria: FilterCriteria = field(default_factory=FilterCriteria)  # on `data` only

    @property
    def key(self) -> str:
        """The event's `rmqMessagesByQueue` key."""
        return f"{self.queue}::{self.vhost}"


def is_mq_arn(arn: object) -> bool:
    return isinstance(arn, str) and arn.startswith("arn:") and ":mq:" in arn


def mappings(template: Template) -> Iterator[MqMapping]:
    """Every RabbitMQ mapping of the template, in template order."""
    for fn in template.functions():
        events = fn.properties.get("Events") or {}
        for event_name, event in events.items():
            if isinstance(event, Mapping) and event.get("Type") == "MQ":
                where = f"{fn.path}.Events.{event_name}"
                props = event.get("Properties") or {}
                yield from _read(where, fn.path, props, broker_key="Broker")
    for esm in template.of_type("AWS::Lambda::EventSourceMapping"):
        if is_mq_arn(esm.properties.get("EventSourceArn")):
            yield from _read_esm(esm)


def _read_esm(esm: Resource) -> Iterator[MqMapping]:
    function = esm.properties.get("FunctionName")
    if not isinstance(function, str) or not function:
        raise MappingConfigError(f"{esm.path}: FunctionName is required (a function's name or ARN)")
    yield from _read(esm.path, function, esm.properties, broker_key="EventSourceArn")


def _read(
    where: str, function: str, props: Mapping[str, Any], broker_key: str
) -> Iterator[MqMapping]:
    broker = props.get(broker_key)
    if not is_mq_arn(broker):
        raise MappingConfigError(
            f"{where}: {broker_key} must be an Amazon MQ broker ARN "
            f"(arn:aws:mq:REGION:ACCOUNT:broker:NAME:ID), got {broker!r}"
        )
    queues = props.get("Queues")
    if not isinstance(queues, list) or len(queues) != 1 or not isinstance(queues[0], str):
        raise MappingConfigError(
            f"{where}: Queues must list exactly one queue name (e.g. Queues: [orders]), "
            f"got {queues!r}"
        )
    batch = _int(where, props, "BatchSize", DEFAULT_BATCH_SIZE, 1, MAX_BATCH_SIZE)
    window = _number(where, props, "MaximumBatchingWindowInSeconds", DEFAULT_WINDOW_S)
    yield MqMapping(
        name=where,
        function=function,
        broker_arn=str(broker),
        queue=queues[0],
        vhost=_vhost(where, props.get("SourceAccessConfigurations") or []),
        batch_size=batch,
        window_s=window,
        enabled=_enabled(where, props),
        criteria=_criteria(where, props.get("FilterCriteria")),
    )


def _top_keys(pattern: Pattern) -> set[str]:
    keys: set[str] = set()
    for rule in pattern.rules:
        if isinstance(rule, OrRule):
            for alternative in rule.alternatives:
                keys |= _top_keys(alternative)
        else:
            keys.add(rule.key)
    return keys


def _criteria(where: str, raw: Any) -> FilterCriteria:
    """FilterCriteria of an MQ mapping: the service filters Amazon MQ messages on `data`
    (the body, decoded from UTF-8; a JSON body is matched as an object) and nothing else."""
    try:
        criteria = compile_criteria(raw, f"{where}.FilterCriteria")
    except FilterError as exc:
        raise MappingConfigError(str(exc)) from None
    for i, pattern in enumerate(criteria.patterns):
        other = sorted(_top_keys(pattern) - {"data"})
        if other:
            raise MappingConfigError(
                f"{where}.FilterCriteria.Filters[{i}]: Amazon MQ mappings filter only on the "
                f'"data" key (the message body), not on {", ".join(other)}; write e.g. '
                '{"data": {"kind": ["order"]}} or {"data": [{"prefix": "Result: "}]}'
            )
    return criteria


def _vhost(where: str, configs: object) -> str:
    if not isinstance(configs, list):
        raise MappingConfigError(f"{where}: SourceAccessConfigurations must be a list")
    for item in configs:
        if isinstance(item, Mapping) and item.get("Type") == "VIRTUAL_HOST":
            uri = item.get("URI")
            if not isinstance(uri, str) or not uri:
                raise MappingConfigError(f"{where}: VIRTUAL_HOST needs a URI (e.g. /production)")
            return uri
    return "/"


def _int(where: str, props: Mapping[str, Any], key: str, default: int, lo: int, hi: int) -> int:
    value = props.get(key, default)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise MappingConfigError(
            f"{where}: {key} must be an integer from {lo} to {hi}, got {value!r}"
        )
    return value


def _number(where: str, props: Mapping[str, Any], key: str, default: float) -> float:
    value = props.get(key, default)
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = -1.0
    if isinstance(value, bool) or not 0 <= number <= MAX_WINDOW_S:
        raise MappingConfigError(
            f"{where}: {key} must be a number of seconds from 0 to {MAX_WINDOW_S}, got {value!r}"
        )
    return number


def _enabled(where: str, props: Mapping[str, Any]) -> bool:
    value = props.get("Enabled", True)
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if not isinstance(value, bool):
        raise MappingConfigError(f"{where}: Enabled must be true or false, got {value!r}")
    return value
