"""Schedules declared in a template, read into `ScheduleSpec`s.

Sources: a function's `Schedule` events (an EventBridge rule) and `ScheduleV2` events
(EventBridge Scheduler), `AWS::Events::Rule` resources with a ScheduleExpression and
targets that are functions of the template, and `AWS::Scheduler::Schedule` resources whose
Target.Arn is one. An invalid expression or property is an `InvalidScheduleResource`
naming the resource, the property and the fix.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from lambdabox.template.model import Resource, Template
from lambdabox.triggers.schedule.errors import InvalidExpression, InvalidScheduleResource
from lambdabox.triggers.schedule.payloads import TargetInput
from lambdabox.triggers.schedule.schedule import Schedule

RULE, SCHEDULER = "rule", "scheduler"


@dataclass(frozen=True)
class ScheduleSpec:
    """One schedule that invokes one function."""

    source: str  # where it was declared, for listings and messages
    function: str  # the function's Resource.path
    kind: str  # RULE or SCHEDULER
    name: str  # the rule's or schedule's name
    arn: str  # the rule's or schedule's ARN (the event's `resources`)
    expression: str
    timezone: str | None
    enabled: bool
    target: TargetInput
    start: datetime | None = None
    end: datetime | None = None
    flexible_minutes: int = 0

    def schedule(self, created: datetime) -> Schedule:
        """Its fire times, for a schedule created (started) at `created`."""
        return Schedule.parse(
            self.expression,
            timezone=self.timezone,
            scheduler=self.kind == SCHEDULER,
            anchor=self.start or created,
            start=self.start,
            end=self.end,
        )


def _date(where: str, value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise InvalidScheduleResource(
            f"{where}: {value!r} is not a date: write it as 2026-01-31T08:00:00Z"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _enabled(where: str, props: Mapping[str, Any]) -> bool:
    state = props.get("State")
    if state is not None and str(state).upper() not in ("ENABLED", "DISABLED"):
        raise InvalidScheduleResource(f"{where}.State: {state!r} must be ENABLED or DISABLED")
    if state is not None and str(state).upper() == "DISABLED":
        return False
    return props.get("Enabled", True) not in (False, "false", "False")


def _flexible(where: str, props: Mapping[str, Any]) -> int:
    window = props.get("FlexibleTimeWindow") or {}
    if str(window.get("Mode", "OFF")).upper() != "FLEXIBLE":
        return 0
    minutes = window.get("MaximumWindowInMinutes")
    if not isinstance(minutes, int) or not 1 <= minutes <= 1440:
        raise InvalidScheduleResource(
            f"{where}.FlexibleTimeWindow: Mode FLEXIBLE needs MaximumWindowInMinutes 1-1440"
        )
    return minutes


def read_specs(template: Template, function_of: Callable[[str], str | None]) -> list[ScheduleSpec]:
    """Every schedule of `template`; `function_of(arn or name)` gives a function's path."""
    specs = list(_events(template))
    specs += _rules(template, function_of)
    specs += _schedules(template, function_of)
    for spec in specs:  # parse now: a bad expression is an error at start, not at fire time
        try:
            spec.schedule(datetime.now(UTC))
        except InvalidExpression as exc:
            raise InvalidScheduleResource(f"{spec.source}: {exc}") from None
    return specs


def _events(template: Template) -> Iterator[ScheduleSpec]:
    for function in template.functions():
        events = function.properties.get("Events") or {}
        for event_name, event in events.items():
            kind = event.get("Type") if isinstance(event, Mapping) else None
            if kind not in ("Schedule", "ScheduleV2"):
                continue
            props = event.get("Properties") or {}
            where = f"{function.path}.Events.{event_name}"
            key = "Schedule" if kind == "Schedule" else "ScheduleExpression"
            if not props.get(key):
                raise InvalidScheduleResource(f"{where}: {kind} events need {key}")
            name = str(
                props.get("Name") or f"{template.stack_name}-{function.logical_id}{event_name}"
            )
            yield _spec(template, where, function.path, kind, name, props, props.get(key))


def _spec(
    template: Template,
    where: str,
    function: str,
    kind: str,
    name: str,
    props: Mapping[str, Any],
    expression: Any,
    target: Mapping[str, Any] | None = None,
) -> ScheduleSpec:
    scheduler = kind in ("ScheduleV2", "AWS::Scheduler::Schedule")
    region, account = template.region, template.account_id
    if scheduler:
        group = props.get("GroupName") or "default"
        arn = f"arn:aws:scheduler:{region}:{account}:schedule/{group}/{name}"
    else:
        arn = f"arn:aws:events:{region}:{account}:rule/{name}"
    return ScheduleSpec(
        source=where,
        function=function,
        kind=SCHEDULER if scheduler else RULE,
        name=name,
        arn=arn,
        expression=str(expression),
        timezone=props.get("ScheduleExpressionTimezone") if scheduler else None,
        enabled=_enabled(where, props),
        target=TargetInput.from_target(where, target if target is not None else props),
        start=_date(f"{where}.StartDate", props.get("StartDate")) if scheduler else None,
        end=_date(f"{where}.EndDate", props.get("EndDate")) if scheduler else None,
        flexible_minutes=_flexible(where, props) if scheduler else 0,
    )


def _rules(template: Template, function_of: Callable[[str], str | None]) -> list[ScheduleSpec]:
    out = []
    for rule in template.of_type("AWS::Events::Rule"):
        props = rule.properties
        if not props.get("ScheduleExpression"):
            continue  # an event-pattern rule: not a schedule
        name = str(props.get("Name") or f"{template.stack_name}-{rule.logical_id}")
        for index, target in enumerate(props.get("Targets") or []):
            function = function_of(str(target.get("Arn", "")))
            if function is None:
                continue  # another kind of target: the application warns about those
            where = f"{_where(rule)}.Targets[{index}]"
            out.append(
                _spec(
                    template,
                    where,
                    function,
                    rule.type,
                    name,
                    props,
                    props["ScheduleExpression"],
                    target,
                )
            )
    return out


def _schedules(template: Template, function_of: Callable[[str], str | None]) -> list[ScheduleSpec]:
    out = []
    for resource in template.of_type("AWS::Scheduler::Schedule"):
        props = resource.properties
        target = props.get("Target") or {}
        function = function_of(str(target.get("Arn", "")))
        if function is None:
            continue
        if not props.get("ScheduleExpression"):
            raise InvalidScheduleResource(f"{_where(resource)}: ScheduleExpression is required")
        name = str(props.get("Name") or f"{template.stack_name}-{resource.logical_id}")
        out.append(
            _spec(
                template,
                _where(resource),
                function,
                resource.type,
                name,
                props,
                props["ScheduleExpression"],
                target,
            )
        )
    return out


def _where(resource: Resource) -> str:
    return f"{resource.type} {resource.path}"
