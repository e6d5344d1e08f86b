"""A schedule: an expression in a time zone between a start and an end, and its fire times."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lambdabox.triggers.schedule.cron import CronExpression
from lambdabox.triggers.schedule.errors import InvalidExpression
from lambdabox.triggers.schedule.expressions import (
    AtExpression,
    Expression,
    RateExpression,
    parse_expression,
)


def time_zone(name: str | None) -> tzinfo:
    """The IANA zone `name` (None or "" for UTC); InvalidExpression when unknown."""
    if not name or name.upper() in ("UTC", "ETC/UTC"):
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidExpression(
            name, "unknown ScheduleExpressionTimezone: use an IANA name such as Europe/Paris"
        ) from None


_EPSILON = timedelta(microseconds=1)


def _minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


@dataclass(frozen=True)
class Schedule:
    """When a schedule fires. `anchor` is where `rate()` counts from (the schedule's
    creation, or its StartDate); `rate_fires_at_anchor` is EventBridge Scheduler's "starts
    invoking immediately" (True) against a rule's first fire one period later (False)."""

    expression: Expression
    zone: tzinfo = UTC
    anchor: datetime | None = None
    start: datetime | None = None
    end: datetime | None = None
    rate_fires_at_anchor: bool = False

    @classmethod
    def parse(
        cls,
        text: str,
        *,
        timezone: str | None = None,
        scheduler: bool = True,
        anchor: datetime | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> Schedule:
        """Parse `text`; `scheduler=False` for EventBridge rules (UTC only, no `at()`)."""
        expression = parse_expression(text, scheduler=scheduler)
        if not scheduler and timezone:
            raise InvalidExpression(
                text, "EventBridge rules run in UTC: a time zone needs EventBridge Scheduler"
            )
        return cls(
            expression=expression,
            zone=time_zone(timezone),
            anchor=anchor,
            start=start,
            end=end,
            rate_fires_at_anchor=scheduler,
        )

    def next_after(self, after: datetime) -> datetime | None:
        """The first fire time strictly after `after` (aware), in UTC; None when no more."""
        if after.tzinfo is None:
            raise ValueError("next_after needs an aware datetime")
        floor = after
        if self.start is not None and self.start > floor:
            floor = self.start - _EPSILON
        found = self._next(floor)
        if found is None or (self.end is not None and found > self.end):
            return None
        return found

    def _next(self, after: datetime) -> datetime | None:
        expression = self.expression
        if isinstance(expression, CronExpression):
            return expression.next_after(after, self.zone)
        if isinstance(expression, AtExpression):
            instant = expression.when.replace(tzinfo=self.zone).astimezone(UTC)
            return instant if instant > after else None
        assert isinstance(expression, RateExpression)
        origin = self.anchor or self.start
        if origin is None:
            raise ValueError("a rate() schedule needs an anchor (when it was created) or a start")
        anchor = _minute(origin.astimezone(UTC))
        period = expression.seconds
        first = 0 if self.rate_fires_at_anchor else 1
        elapsed = (after - anchor).total_seconds()
        k = max(first, math.floor(elapsed / period) + 1)
        return anchor + expression.period() * k

    def fire_times(self, after: datetime, count: int | None = None) -> Iterator[datetime]:
        """Successive fire times after `after` (at most `count`)."""
        made = 0
        current = after
        while count is None or made < count:
            found = self.next_after(current)
            if found is None:
                return
            yield found
            made += 1
            current = found
