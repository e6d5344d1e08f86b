"""`cron(minutes hours day-of-month month day-of-week year)`: parsing and the next fire time.

The next fire time is found field by field (years, months, matching days, hours, minutes)
on the wall clock of the schedule's time zone, then placed on the UTC time line as
EventBridge Scheduler documents for daylight saving time: a wall-clock time that does not
exist (the hour skipped in spring) is skipped; a wall-clock time that happens twice (the
hour repeated in autumn) fires once, at its first occurrence.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from lambdabox.triggers.schedule.cron_fields import (
    DAY_OF_MONTH,
    HOUR,
    MINUTE,
    MONTH,
    YEAR,
    DayOfMonth,
    DayOfWeek,
    FieldError,
)
from lambdabox.triggers.schedule.errors import InvalidExpression

_USAGE = (
    "write cron(minutes hours day-of-month month day-of-week year) with exactly one of "
    "day-of-month and day-of-week as ?, e.g. cron(0 12 * * ? *) or cron(15 10 ? * MON-FRI *)"
)


@dataclass(frozen=True)
class CronExpression:
    """A parsed `cron()` expression; `None` for a day field written `?`."""

    text: str
    minutes: frozenset[int]
    hours: frozenset[int]
    day_of_month: DayOfMonth | None
    months: frozenset[int]
    day_of_week: DayOfWeek | None
    years: frozenset[int]

    @classmethod
    def parse(cls, text: str, body: str) -> CronExpression:
        """`body` is what stands between `cron(` and `)`; `text` the whole expression."""
        fields = body.split()
        if len(fields) != 6:
            raise InvalidExpression(text, f"cron() takes 6 fields, not {len(fields)}: {_USAGE}")
        minute, hour, dom, month, dow, year = fields
        if (dom == "?") == (dow == "?"):
            raise InvalidExpression(
                text,
                "exactly one of day-of-month and day-of-week must be ? (a value or * in one, "
                f"? in the other): {_USAGE}",
            )
        try:
            for name, value, allowed in (
                (MINUTE.name, minute, "*,-/"),
                (HOUR.name, hour, "*,-/"),
                (MONTH.name, month, "*,-/"),
                (YEAR.name, year, "*,-/"),
            ):
                if "?" in value:
                    raise FieldError(f"{name} cannot be ?: only day-of-month or day-of-week can")
                _only(name, value, allowed)
            if dom != "?":
                _only(DAY_OF_MONTH.name, dom, "*,-/LW")
            return cls(
                text=text,
                minutes=MINUTE.values(minute),
                hours=HOUR.values(hour),
                day_of_month=None if dom == "?" else DayOfMonth.parse(dom),
                months=MONTH.values(month),
                day_of_week=None if dow == "?" else DayOfWeek.parse(dow),
                years=YEAR.values(year),
            )
        except FieldError as exc:
            raise InvalidExpression(text, f"{exc}: {_USAGE}") from None

    def days(self, year: int, month: int) -> list[int]:
        """The days of that month the expression fires on (ascending)."""
        if self.day_of_month is not None:
            return self.day_of_month.matching(year, month)
        assert self.day_of_week is not None
        return self.day_of_week.matching(year, month)

    def wall_times(self, start: datetime) -> Iterator[datetime]:
        """Naive wall-clock minutes at or after `start` (naive), in order."""
        start = start.replace(second=0, microsecond=0)
        for year in sorted(y for y in self.years if y >= start.year):
            for month in sorted(m for m in self.months if (year, m) >= (start.year, start.month)):
                same_month = (year, month) == (start.year, start.month)
                for day in self.days(year, month):
                    if same_month and day < start.day:
                        continue
                    same_day = same_month and day == start.day
                    for hour in sorted(self.hours):
                        if same_day and hour < start.hour:
                            continue
                        same_hour = same_day and hour == start.hour
                        for minute in sorted(self.minutes):
                            if same_hour and minute < start.minute:
                                continue
                            yield datetime(year, month, day, hour, minute)

    def next_after(self, after: datetime, zone: tzinfo) -> datetime | None:
        """The first fire time strictly after `after` (aware), in UTC; None when none is left."""
        local = after.astimezone(zone).replace(tzinfo=None, second=0, microsecond=0)
        for wall in self.wall_times(local + timedelta(minutes=1)):
            instant = _place(wall, zone)
            if instant is not None and instant > after:
                return instant
        return None


def _only(name: str, value: str, allowed: str) -> None:
    for char in value:
        if not (char.isalnum() or char in allowed):
            raise FieldError(f"{name} {value!r}: {char!r} is not allowed here (use {allowed})")


def _place(wall: datetime, zone: tzinfo) -> datetime | None:
    """The UTC instant of a wall-clock time: its first occurrence, None if it never happens."""
    first = wall.replace(tzinfo=zone, fold=0)
    instant = first.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) != wall:
        return None  # in the gap of a spring-forward change
    return instant
