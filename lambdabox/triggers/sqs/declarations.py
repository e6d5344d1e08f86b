"""SQS event source mappings declared in a template, validated as Lambda validates them.

Two spellings: an `SQS` event under a function's `Events` (SAM), and an
`AWS::Lambda::EventSourceMapping` whose `EventSourceArn` is a queue ARN.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from lambdabox.template.model import Resource, Template
from lambdabox.triggers.filters import FilterCriteria, FilterError, compile_criteria
from lambdabox.triggers.sqs.arns import QueueArn, is_sqs_arn, parse_arn
from lambdabox.triggers.sqs.errors import SqsConfigError

DEFAULT_BATCH_SIZE = 10
MAX_BATCH_SIZE = 10_000
MAX_FIFO_BATCH_SIZE = 10
MAX_WINDOW_S = 300
REPORT_BATCH_ITEM_FAILURES = "ReportBatchItemFailures"
MIN_MAX_CONCURRENCY, MAX_MAX_CONCURRENCY = 2, 1000


@dataclass(frozen=True)
class SqsMappingSpec:
    """One mapping: which queue feeds which function, and how."""

    source: str  # "HelloFunction.Events.Orders" or the EventSourceMapping's path
    function: str  # the function's logical id (Resource.path) or name/ARN
    queue: QueueArn
    batch_size: int = DEFAULT_BATCH_SIZE
    window_s: float = 0.0
    report_failures: bool = False
    filters: FilterCriteria = field(default_factory=FilterCriteria)
    max_concurrency: int | None = None
    enabled: bool = True


def declared_mappings(template: Template) -> Iterator[SqsMappingSpec]:
    """Every SQS mapping of `template`, in template order; SqsConfigError on a bad one."""
    for fn in template.functions():
        events = fn.properties.get("Events") or {}
        if not isinstance(events, Mapping):
            continue
        for name, event in events.items():
            if isinstance(event, Mapping) and event.get("Type") == "SQS":
                where = f"{fn.path}.Events.{name}"
                props = event.get("Properties") or {}
                if not isinstance(props, Mapping) or "Queue" not in props:
                    raise SqsConfigError(
                        f"{where}: an SQS event needs Properties.Queue (a queue ARN)"
                    )
                yield spec_from(where, fn.path, props["Queue"], props, f"{where}.Properties")
    for res in template.of_type("AWS::Lambda::EventSourceMapping"):
        arn = res.properties.get("EventSourceArn")
        if is_sqs_arn(arn):
            yield spec_from(res.path, _function_of(res), arn, res.properties, res.path)


def _function_of(res: Resource) -> str:
    name = res.properties.get("FunctionName")
    if not isinstance(name, str) or not name:
        raise SqsConfigError(f"{res.path}.FunctionName: required (a function name, ARN or !Ref)")
    return name


def spec_from(
    source: str, function: str, queue: Any, props: Mapping[str, Any], where: str
) -> SqsMappingSpec:
    """Validate one mapping's properties (the service's CreateEventSourceMapping rules)."""
    arn = parse_arn(queue, f"{where}.{'Queue' if '.Events.' in source else 'EventSourceArn'}")
    batch = _int(props, "BatchSize", DEFAULT_BATCH_SIZE, where)
    window = _number(props, "MaximumBatchingWindowInSeconds", 0, where)
    if not 1 <= batch <= MAX_BATCH_SIZE:
        raise SqsConfigError(f"{where}.BatchSize: {batch}; SQS takes 1 to {MAX_BATCH_SIZE}")
    if not 0 <= window <= MAX_WINDOW_S:
        raise SqsConfigError(
            f"{where}.MaximumBatchingWindowInSeconds: {window}; use 0 to {MAX_WINDOW_S}"
        )
    if arn.fifo:
        if batch > MAX_FIFO_BATCH_SIZE:
            raise SqsConfigError(
                f"{where}.BatchSize: {batch}; a FIFO queue ({arn.name}) takes at most "
                f"{MAX_FIFO_BATCH_SIZE}"
            )
        if window:
            raise SqsConfigError(
                f"{where}.MaximumBatchingWindowInSeconds: FIFO queues ({arn.name}) take no "
                "batching window; remove it"
            )
    elif batch > MAX_FIFO_BATCH_SIZE and window < 1:
        raise SqsConfigError(
            f"{where}: BatchSize {batch} needs MaximumBatchingWindowInSeconds of at least 1 "
            "(over 10 messages are gathered over a window); set it, or BatchSize <= 10"
        )
    return SqsMappingSpec(
        source=source,
        function=function,
        queue=arn,
        batch_size=batch,
        window_s=float(window),
        report_failures=_response_types(props, where),
        filters=_filters(props, where),
        max_concurrency=_max_concurrency(props, where),
        enabled=_enabled(props, where),
    )


def _int(props: Mapping[str, Any], key: str, default: int, where: str) -> int:
    value = props.get(key, default)
    try:
        if isinstance(value, bool) or float(value) != int(value):
            raise ValueError
        return int(value)
    except (TypeError, ValueError):
        raise SqsConfigError(f"{where}.{key}: {value!r} is not a whole number") from None


def _number(props: Mapping[str, Any], key: str, default: int, where: str) -> int:
    return _int(props, key, default, where)  # the service takes whole seconds


def _response_types(props: Mapping[str, Any], where: str) -> bool:
    types = props.get("FunctionResponseTypes") or []
    if not isinstance(types, list) or any(t != REPORT_BATCH_ITEM_FAILURES for t in types):
        raise SqsConfigError(
            f"{where}.FunctionResponseTypes: {types!r}; the only value is "
            f"[{REPORT_BATCH_ITEM_FAILURES}]"
        )
    return bool(types)


def _filters(props: Mapping[str, Any], where: str) -> FilterCriteria:
    try:
        return compile_criteria(props.get("FilterCriteria"), f"{where}.FilterCriteria")
    except FilterError as exc:
        raise SqsConfigError(str(exc)) from None


def _max_concurrency(props: Mapping[str, Any], where: str) -> int | None:
    scaling = props.get("ScalingConfig")
    if scaling is None:
        return None
    if not isinstance(scaling, Mapping) or set(scaling) - {"MaximumConcurrency"}:
        raise SqsConfigError(f"{where}.ScalingConfig: write {{MaximumConcurrency: 2..1000}}")
    if "MaximumConcurrency" not in scaling:
        return None
    value = _int(scaling, "MaximumConcurrency", 0, f"{where}.ScalingConfig")
    if not MIN_MAX_CONCURRENCY <= value <= MAX_MAX_CONCURRENCY:
        raise SqsConfigError(
            f"{where}.ScalingConfig.MaximumConcurrency: {value}; use "
            f"{MIN_MAX_CONCURRENCY} to {MAX_MAX_CONCURRENCY}"
        )
    return value


def _enabled(props: Mapping[str, Any], where: str) -> bool:
    value = props.get("Enabled", True)
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if not isinstance(value, bool):
        raise SqsConfigError(f"{where}.Enabled: {value!r}; write true or false")
    return value


DEFAULT_VISIBILITY_TIMEOUT_S = 30
DEFAULT_FUNCTION_TIMEOUT_S = 3


def check_visibility(template: Template, spec: SqsMappingSpec) -> None:
    """The service refuses a mapping whose queue's VisibilityTimeout is shorter than the
    function's Timeout; checked when both are in the template."""
    from lambdabox.triggers.sqs.arns import queue_name

    fn = template.resources.get(spec.function)
    queue = next(
        (
            q
            for q in template.of_type("AWS::SQS::Queue")
            if queue_name(q.logical_id, q.properties, template.stack_name) == spec.queue.name
        ),
        None,
    )
    if fn is None or queue is None:
        return
    try:
        timeout = float(fn.properties.get("Timeout", DEFAULT_FUNCTION_TIMEOUT_S))
        visibility = float(queue.properties.get("VisibilityTimeout", DEFAULT_VISIBILITY_TIMEOUT_S))
    except (TypeError, ValueError):
        return
    if visibility < timeout:
        raise SqsConfigError(
            f"{spec.source}: queue {queue.path} has VisibilityTimeout {visibility:g} s, less "
            f"than {fn.path}.Timeout {timeout:g} s, and Lambda refuses such a mapping; raise "
            "the queue's VisibilityTimeout (AWS advises 6 times the function's timeout)"
        )


def spec_for_queue(function: str, queue: str, region: str, **properties: Any) -> SqsMappingSpec:
    """A mapping without a template (`lambdabox up --handler H --sqs URL|ARN`): `queue` is a
    queue URL or ARN, `properties` the event's (BatchSize=..., ...)."""
    from lambdabox.triggers.sqs.arns import arn_from_url

    arn = queue if queue.startswith("arn:") else str(arn_from_url(queue, region))
    return spec_from(f"--sqs {queue}", function, arn, properties, "--sqs")
