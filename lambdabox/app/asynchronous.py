"""Numbers and asynchronous-invocation settings of a function resource, checked.

`EventInvokeConfig` and `DeadLetterQueue` (SAM), `DeadLetterConfig` (Lambda) and
`AWS::Lambda::EventInvokeConfig` resources become the emulator's `EventInvokeConfig`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lambdabox.app.errors import FunctionSpecError
from lambdabox.emulator.config import EventInvokeConfig
from lambdabox.template.model import Resource, Template


def whole_number(resource: Resource, prop: str, value: Any, low: int, high: int) -> int:
    try:
        number = int(str(value))
    except ValueError:
        number = low - 1
    if not low <= number <= high:
        raise FunctionSpecError(
            resource.path,
            prop,
            f"{value!r} is not a whole number in {low}..{high}",
            f"set {prop} to a value in that range",
        )
    return number


def _destination(value: Any) -> str | None:
    if isinstance(value, dict):
        target = value.get("Destination") or value.get("TargetArn")
        return str(target) if target else None
    return None


def asynchronous_config(props: Mapping[str, Any], resource: Resource) -> EventInvokeConfig:
    """EventInvokeConfig, DeadLetterQueue (SAM) / DeadLetterConfig (Lambda) of a function."""
    config = props.get("EventInvokeConfig") or {}
    if not isinstance(config, dict):
        raise FunctionSpecError(
            resource.path, "EventInvokeConfig", "must be a mapping", "see the SAM documentation"
        )
    destinations = config.get("DestinationConfig") or {}
    dead = props.get("DeadLetterQueue") or props.get("DeadLetterConfig") or {}
    return EventInvokeConfig(
        maximum_retry_attempts=whole_number(
            resource,
            "EventInvokeConfig.MaximumRetryAttempts",
            config.get("MaximumRetryAttempts", 2),
            0,
            2,
        ),
        maximum_event_age_s=whole_number(
            resource,
            "EventInvokeConfig.MaximumEventAgeInSeconds",
            config.get("MaximumEventAgeInSeconds", 21600),
            60,
            21600,
        ),
        on_success=_destination(destinations.get("OnSuccess")),
        on_failure=_destination(destinations.get("OnFailure")),
        dead_letter=_destination(dead),
    )


def invoke_configs(template: Template) -> dict[str, dict[str, Any]]:
    """`AWS::Lambda::EventInvokeConfig` resources by the function name they configure."""
    found: dict[str, dict[str, Any]] = {}
    for resource in template.of_type("AWS::Lambda::EventInvokeConfig"):
        target = str(resource.properties.get("FunctionName", ""))
        found[target.rsplit(":function:", 1)[-1]] = dict(resource.properties)
    return found
