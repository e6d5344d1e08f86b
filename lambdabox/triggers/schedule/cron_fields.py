"""The fields of an EventBridge `cron()` expression, parsed into sets and day rules.

Field grammar (the EventBridge user guide's table): minutes 0-59 and hours 0-23 take
`, - * /`; day-of-month 1-31 takes `, - * ? / L W`; month 1-12 or JAN-DEC takes `, - * /`;
day-of-week 1-7 or SUN-SAT (1 = Sunday) takes `, - * ? L #`; year 1970-2199 takes
`, - * /`. Names are case-insensitive. A range whose end is below its start wraps around
the field (`FRI-MON`, `22-2`), as in Quartz, except in the year.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass

MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
WEEKDAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")


class FieldError(ValueError):
    """One field is malformed; the cron parser adds the expression to the message."""


@dataclass(frozen=True)
class Field:
    """How one numeric field is written: its name, bounds and names (1-based)."""

    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()
    wraps: bool = True

    def value(self, text: str) -> int:
        """One value: a number in range, or a name (JAN, MON, ...)."""
        upper = text.upper()
        if self.names and upper in self.names:
            return self.names.index(upper) + self.low
        if not text.isdigit():
            named = f" or {self.names[0]}-{self.names[-1]}" if self.names else ""
            raise FieldError(f"{self.name} {text!r} is not a number{named}")
        number = int(text)
        if not self.low <= number <= self.high:
            raise FieldError(f"{self.name} {number} is out of range {self.low}-{self.high}")
        return number

    def values(self, text: str) -> frozenset[int]:
        """A list of `*`, N, N-M, with optional /STEP, separated by commas."""
        if not text:
            raise FieldError(f"{self.name} is empty")
        out: set[int] = set()
        for item in text.split(","):
            out.update(self._item(item))
        return frozenset(out)

    def _item(self, item: str) -> list[int]:
        base, slash, step_text = item.partition("/")
        span = self.high - self.low + 1
        step = 1
        if slash:
            if not step_text.isdigit() or not 1 <= int(step_text) <= span:
                raise FieldError(
                    f"{self.name} increment {step_text!r} in {item!r} must be a number "
                    f"from 1 to {span}"
                )
            step = int(step_text)
        if base == "*":
            first, last = self.low, self.high
        elif "-" in base:
            start_text, _, end_text = base.partition("-")
            first, last = self.value(start_text), self.value(end_text)
            if last < first and not self.wraps:
                raise FieldError(f"{self.name} range {base!r} ends before it starts")
        elif base:
            first = self.value(base)
            last = self.high if slash else first
        else:
            raise FieldError(f"{self.name} has an empty item in {item!r}")
        if last < first:  # wraps around the field: FRI-MON
            order = list(range(first, self.high + 1)) + list(range(self.low, last + 1))
        else:
            order = list(range(first, last + 1))
        return order[::step]


MINUTE = Field("minutes", 0, 59)
HOUR = Field("hours", 0, 23)
DAY_OF_MONTH = Field("day-of-month", 1, 31)
MONTH = Field("month", 1, 12, MONTHS)
DAY_OF_WEEK = Field("day-of-week", 1, 7, WEEKDAYS)
YEAR = Field("year", 1970, 2199, wraps=False)


def aws_weekday(year: int, month: int, day: int) -> int:
    """The day of the week as EventBridge numbers it: 1 = Sunday ... 7 = Saturday."""
    return (calendar.weekday(year, month, day) + 1) % 7 + 1


@dataclass(frozen=True)
class DayOfMonth:
    """Day-of-month: a set of days, or `L` (last day), `LW` (last weekday), `NW`."""

    days: frozenset[int] = frozenset()
    last: bool = False
    last_weekday: bool = False
    nearest_weekday_to: int | None = None

    @classmethod
    def parse(cls, text: str) -> DayOfMonth:
        """Read the day-of-month field (not `?`)."""
        upper = text.upper()
        if upper == "L":
            return cls(last=True)
        if upper == "LW":
            return cls(last_weekday=True)
        if upper.endswith("W"):
            day = upper[:-1]
            if not day.isdigit():
                raise FieldError(
                    f"day-of-month {text!r}: W takes one day before it (15W), not a list or range"
                )
            return cls(nearest_weekday_to=DAY_OF_MONTH.value(day))
        if "L" in upper or "W" in upper:
            raise FieldError(
                f"day-of-month {text!r}: L and W stand alone (L, LW, 15W), not in a list"
            )
        return cls(days=DAY_OF_MONTH.values(text))

    def matching(self, year: int, month: int) -> list[int]:
        """The days of that month it selects, ascending."""
        length = calendar.monthrange(year, month)[1]
        if self.last:
            return [length]
        if self.last_weekday:
            return [_weekday_near(year, month, length, length)]
        if self.nearest_weekday_to is not None:
            if self.nearest_weekday_to > length:
                return []
            return [_weekday_near(year, month, self.nearest_weekday_to, length)]
        return sorted(d for d in self.days if d <= length)


def _weekday_near(year: int, month: int, day: int, length: int) -> int:
    """The weekday (Mon-Fri) nearest to `day` without leaving the month."""
    weekday = aws_weekday(year, month, day)
    if weekday == 7:  # Saturday: Friday before, or Monday after when the 1st
        return day + 2 if day == 1 else day - 1
    if weekday == 1:  # Sunday: Monday after, or Friday before when the last day
        return day - 2 if day == length else day + 1
    return day


@dataclass(frozen=True)
class DayOfWeek:
    """Day-of-week: a set of days (1 = Sunday), `NL` (the last N-day), or `N#K` (the K-th)."""

    days: frozenset[int] = frozenset()
    last_of: int | None = None
    nth: tuple[int, int] | None = None

    @classmethod
    def parse(cls, text: str) -> DayOfWeek:
        """Read the day-of-week field (not `?`)."""
        upper = text.upper()
        if "#" in upper:
            if "," in upper or "-" in upper or "/" in upper:
                raise FieldError(
                    f"day-of-week {text!r}: # allows a single expression (6#3), not a list"
                )
            day_text, _, nth_text = upper.partition("#")
            if not nth_text.isdigit() or not 1 <= int(nth_text) <= 5:
                raise FieldError(f"day-of-week {text!r}: the number after # must be 1-5")
            return cls(nth=(DAY_OF_WEEK.value(day_text), int(nth_text)))
        if upper == "L":
            return cls(days=frozenset({7}))  # the last day of the week: Saturday
        if upper.endswith("L") and upper not in WEEKDAYS:
            day_text = upper[:-1]
            if "," in day_text or "-" in day_text or "/" in day_text or not day_text:
                raise FieldError(f"day-of-week {text!r}: L takes one day before it (6L)")
            return cls(last_of=DAY_OF_WEEK.value(day_text))
        if "L" in upper:
            raise FieldError(f"day-of-week {text!r}: L stands alone or after one day (6L)")
        return cls(days=DAY_OF_WEEK.values(text))

    def matching(self, year: int, month: int) -> list[int]:
        """The days of that month it selects, ascending."""
        length = calendar.monthrange(year, month)[1]
        if self.nth is not None:
            weekday, nth = self.nth
            first = next(d for d in range(1, 8) if aws_weekday(year, month, d) == weekday)
            day = first + 7 * (nth - 1)
            return [day] if day <= length else []
        if self.last_of is not None:
            return [
                next(d for d in range(length, 0, -1) if aws_weekday(year, month, d) == self.last_of)
            ]
        return [d for d in range(1, length + 1) if aws_weekday(year, month, d) in self.days]
