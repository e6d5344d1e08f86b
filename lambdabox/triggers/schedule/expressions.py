"""Schedule expressions: `cron()`, `rate()` and EventBridge Scheduler's `at()`, parsed.

`parse_expression(text, scheduler=...)` returns a `CronExpression`, `RateExpression` or
`AtExpression`, or raises `InvalidExpression` quoting the text and what is wrong. `at()`
exists only on EventBridge Scheduler (`scheduler=True`); EventBridge rules refuse it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from lambdabox.triggers.schedule.cron import CronExpression
from lambdabox.triggers.schedule.errors import InvalidExpression

_UNITS = {"minute": 60, "hour": 3600, "day": 86400}
_RATE_USAGE = "write rate(1 minute), rate(5 minutes), rate(1 hour), rate(2 days), ..."
_AT_USAGE = "write at(yyyy-mm-ddThh:mm:ss), e.g. at(2026-12-31T23:59:00)"


@dataclass(frozen=True)
class RateExpression:
    """`rate(value unit)`: every `seconds`, counted from the schedule's start."""

    text: str
    value: int
    unit: str  # "minute", "hour" or "day"

    @property
    def seconds(self) -> int:
        """The period in seconds."""
        return self.value * _UNITS[self.unit]

    @classmethod
    def parse(cls, text: str, body: str) -> RateExpression:
        """`body` is what stands between `rate(` and `)`."""
        parts = body.split()
        if len(parts) != 2:
            raise InvalidExpression(text, f"rate() takes a value and a unit: {_RATE_USAGE}")
        value_text, unit = parts
        if not value_text.isdigit() or int(value_text) < 1:
            raise InvalidExpression(
                text, f"the rate value {value_text!r} must be a positive whole number"
            )
        value = int(value_text)
        singular = unit[:-1] if unit.endswith("s") else unit
        if singular not in _UNITS:
            raise InvalidExpression(
                text, f"the unit {unit!r} must be minute(s), hour(s) or day(s): {_RATE_USAGE}"
            )
        if value == 1 and unit != singular:
            raise InvalidExpression(text, f"a value of 1 takes the singular: rate(1 {singular})")
        if value > 1 and unit == singular:
            raise InvalidExpression(
                text, f"a value above 1 takes the plural: rate({value} {singular}s)"
            )
        return cls(text=text, value=value, unit=singular)

    def period(self) -> timedelta:
        """The period."""
        return timedelta(seconds=self.seconds)


@dataclass(frozen=True)
class AtExpression:
    """`at(yyyy-mm-ddThh:mm:ss)`: once, at that wall-clock time of the schedule's time zone."""

    text: str
    when: datetime  # naive: the wall-clock time

    @classmethod
    def parse(cls, text: str, body: str) -> AtExpression:
        """`body` is what stands between `at(` and `)`."""
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}", body):
            raise InvalidExpression(text, f"the time must be yyyy-mm-ddThh:mm:ss: {_AT_USAGE}")
        try:
            when = datetime.strptime(body, "%Y-%m-%dT%H:%M:%S")
        except ValueError:
            raise InvalidExpression(text, f"{body} is not a real date and time") from None
        return cls(text=text, when=when)


Expression = CronExpression | RateExpression | AtExpression


def parse_expression(text: str, *, scheduler: bool = True) -> Expression:
    """Parse a ScheduleExpression; `scheduler=False` for EventBridge rules (no `at()`)."""
    if not isinstance(text, str):
        raise InvalidExpression(str(text), "a schedule expression is a string")
    match = re.fullmatch(r"\s*(cron|rate|at)\((.*)\)\s*", text, flags=re.DOTALL)
    if match is None:
        kinds = "cron(...), rate(...) or at(...)" if scheduler else "cron(...) or rate(...)"
        raise InvalidExpression(text, f"a schedule expression is {kinds}")
    kind, body = match.group(1), match.group(2).strip()
    if kind == "cron":
        return CronExpression.parse(text, body)
    if kind == "rate":
        return RateExpression.parse(text, body)
    if not scheduler:
        raise InvalidExpression(
            text,
            "at() is EventBridge Scheduler's (AWS::Scheduler::Schedule, ScheduleV2); "
            "an EventBridge rule (Schedule event, AWS::Events::Rule) takes cron() or rate()",
        )
    return AtExpression.parse(text, body)
