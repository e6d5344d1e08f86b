"""Every fire time of `Schedule` against an independent brute-force evaluator.

The evaluator below reads each cron field token straight from the EventBridge rules and
tests one minute at a time (it shares no code with `lambdabox.triggers.schedule`): over a
simulated week for many expressions, over years (leap years, year boundaries, the year
field) in UTC, and minute by minute across daylight-saving changes in several time zones.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

import pytest

from lambdabox.triggers.schedule import Schedule

MONTH_NAMES = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
DAY_NAMES = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]


def _number(text: str, names: list[str], low: int) -> int:
    return names.index(text.upper()) + low if text.upper() in names else int(text)


def _generic(token: str, value: int, low: int, high: int, names: list[str]) -> bool:
    span = high - low + 1
    for item in token.split(","):
        base, _, step_text = item.partition("/")
        step = int(step_text) if step_text else 1
        if base == "*":
            start, end = low, high
        elif "-" in base:
            a, b = base.split("-")
            start, end = _number(a, names, low), _number(b, names, low)
        else:
            start = _number(base, names, low)
            end = high if step_text else start
        offset = (value - start) % span
        if offset <= (end - start) % span and offset % step == 0:
            return True
    return False


def _weekday(day: datetime) -> int:
    return day.isoweekday() % 7 + 1  # 1 = Sunday


def _dom_ok(token: str, day: datetime) -> bool:
    last = calendar.monthrange(day.year, day.month)[1]
    upper = token.upper()
    if upper == "?":
        return True
    weekdays = [d for d in range(1, last + 1) if _weekday(day.replace(day=d)) not in (1, 7)]
    if upper == "L":
        return day.day == last
    if upper == "LW":
        return day.day == max(weekdays)
    if upper.endswith("W"):
        target = int(upper[:-1])
        if target > last:
            return False
        return day.day == min(weekdays, key=lambda d: abs(d - target))
    return _generic(token, day.day, 1, 31, [])


def _dow_ok(token: str, day: datetime) -> bool:
    upper = token.upper()
    last = calendar.monthrange(day.year, day.month)[1]
    if upper == "?":
        return True
    if "#" in upper:
        name, nth = upper.split("#")
        return _weekday(day) == _number(name, DAY_NAMES, 1) and (day.day - 1) // 7 + 1 == int(nth)
    if upper == "L":
        return _weekday(day) == 7
    if upper.endswith("L"):
        return _weekday(day) == _number(upper[:-1], DAY_NAMES, 1) and day.day + 7 > last
    return _generic(token, _weekday(day), 1, 7, DAY_NAMES)


def _date_ok(fields: list[str], day: datetime) -> bool:
    _, _, dom, month, dow, year = fields
    return (
        _generic(year, day.year, 1970, 2199, [])
        and _generic(month, day.month, 1, 12, MONTH_NAMES)
        and _dom_ok(dom, day)
        and _dow_ok(dow, day)
    )


def _time_ok(fields: list[str], moment: datetime) -> bool:
    return _generic(fields[0], moment.minute, 0, 59, []) and _generic(
        fields[1], moment.hour, 0, 23, []
    )


def brute_force(expression: str, start: datetime, end: datetime, zone: tzinfo) -> list[datetime]:
    """Every UTC minute in (start, end] whose wall-clock time matches; a repeated wall-clock
    time (autumn) counts once, at its first occurrence."""
    fields = expression[len("cron(") : -1].split()
    dates: dict[tuple[int, int, int], bool] = {}
    out = []
    minute = start.replace(second=0, microsecond=0) + timedelta(minutes=1)
    while minute <= end:
        local = minute.astimezone(zone)
        repeated = local.fold == 1 and local.replace(fold=0).utcoffset() != local.utcoffset()
        key = (local.year, local.month, local.day)
        if key not in dates:
            dates[key] = _date_ok(fields, local)
        if not repeated and dates[key] and _time_ok(fields, local):
            out.append(minute)
        minute += timedelta(minutes=1)
    return out


def brute_force_utc_days(expression: str, start: datetime, end: datetime) -> list[datetime]:
    """The same in UTC, over years: a day (or hour) whose fields fail is passed over whole."""
    fields = expression[len("cron(") : -1].split()
    out = []
    day = start.replace(hour=0, minute=0, second=0, microsecond=0)
    while day <= end:
        if _date_ok(fields, day):
            for hour in range(24):
                if not _generic(fields[1], hour, 0, 23, []):
                    continue
                for m in range(60):
                    moment = day + timedelta(hours=hour, minutes=m)
                    if start < moment <= end and _time_ok(fields, moment):
                        out.append(moment)
        day += timedelta(days=1)
    return out


def computed(expression: str, start: datetime, end: datetime, zone: str | None) -> list[datetime]:
    schedule = Schedule.parse(expression, timezone=zone)
    out: list[datetime] = []
    times: Iterator[datetime] = schedule.fire_times(start)
    for moment in times:
        if moment > end:
            break
        out.append(moment)
    return out


WEEK_EXPRESSIONS = [
    "cron(* * * * ? *)",
    "cron(0/15 * * * ? *)",
    "cron(5/7 */3 * * ? *)",
    "cron(0 10 * * ? *)",
    "cron(15 12 * * ? *)",
    "cron(0 18 ? * MON-FRI *)",
    "cron(0 8 1 * ? *)",
    "cron(0/10 0-9,23 * * ? *)",
    "cron(30 22-2 ? * FRI-MON *)",
    "cron(0 12 ? * 1,7 *)",
    "cron(59 23 ? * sun *)",
    "cron(0 0 L * ? *)",
    "cron(0 9 ? * L *)",
    "cron(45 4 1-7 * ? *)",
    "cron(0 */2 ? * 2-6/2 *)",
    "cron(20 6 ? JAN,MAR-MAY,DEC * 2026-2027)",
]


@pytest.mark.parametrize("expression", WEEK_EXPRESSIONS)
@pytest.mark.parametrize(
    "week_start",
    [datetime(2026, 2, 25, 13, 7, tzinfo=UTC), datetime(2027, 12, 28, 0, 0, tzinfo=UTC)],
)
def test_a_simulated_week_matches_brute_force(expression: str, week_start: datetime) -> None:
    end = week_start + timedelta(days=7)
    expected = brute_force(expression, week_start, end, UTC)
    assert computed(expression, week_start, end, None) == expected


YEAR_EXPRESSIONS = [
    "cron(0 0 29 2 ? *)",  # leap days only
    "cron(0 12 L 2 ? *)",  # 28 or 29 February
    "cron(0 6 15W * ? *)",
    "cron(0 6 1W * ? *)",  # a Saturday 1st moves to Monday 3rd
    "cron(30 7 31W * ? *)",  # months without a 31st never fire
    "cron(0 0 LW * ? *)",
    "cron(0 10 ? * 6#3 *)",  # third Friday
    "cron(0 10 ? * MON#5 *)",  # fifth Monday, in some months only
    "cron(0 23 ? * 6L *)",  # last Friday
    "cron(0 0 1 JAN ? *)",
    "cron(59 23 31 DEC ? 2027,2028)",
    "cron(0 0 * * ? 2028/2)",
    "cron(0 12 ? * SUN 2027-2029)",
    "cron(0 0 30 2 ? *)",  # never
]


@pytest.mark.parametrize("expression", YEAR_EXPRESSIONS)
def test_years_match_brute_force(expression: str) -> None:
    start = datetime(2026, 11, 30, 23, 59, tzinfo=UTC)
    end = datetime(2030, 3, 2, 0, 0, tzinfo=UTC)
    expected = brute_force_utc_days(expression, start, end)
    assert computed(expression, start, end, None) == expected
    if "2 ? *)" in expression and "29" in expression:
        assert [m.year for m in expected] == [2028]


DST_CASES = [
    ("America/New_York", datetime(2026, 3, 5, tzinfo=UTC)),  # spring forward 8 March
    ("America/New_York", datetime(2026, 10, 29, tzinfo=UTC)),  # fall back 1 November
    ("Europe/Berlin", datetime(2026, 3, 26, tzinfo=UTC)),
    ("Europe/Berlin", datetime(2026, 10, 22, tzinfo=UTC)),
    ("Australia/Sydney", datetime(2026, 4, 1, tzinfo=UTC)),  # southern hemisphere, April
    ("Asia/Kolkata", datetime(2026, 6, 1, tzinfo=UTC)),  # +05:30, no DST
    ("Australia/Lord_Howe", datetime(2026, 4, 1, tzinfo=UTC)),  # a 30-minute shift back
    ("Australia/Lord_Howe", datetime(2026, 9, 30, tzinfo=UTC)),  # and forward
    ("Pacific/Auckland", datetime(2026, 12, 28, tzinfo=UTC)),  # across the new year
]
DST_EXPRESSIONS = [
    "cron(30 2 * * ? *)",  # in New York's skipped hour: not on 8 March
    "cron(30 1 * * ? *)",  # in New York's repeated hour: once on 1 November
    "cron(0/20 1-3 * * ? *)",
    "cron(0 9 ? * MON-FRI *)",
    "cron(15 * * * ? *)",
]


@pytest.mark.parametrize(("zone", "week_start"), DST_CASES)
@pytest.mark.parametrize("expression", DST_EXPRESSIONS)
def test_time_zones_and_daylight_saving(zone: str, week_start: datetime, expression: str) -> None:
    end = week_start + timedelta(days=4)  # each window holds its zone's change
    expected = brute_force(expression, week_start, end, ZoneInfo(zone))
    assert computed(expression, week_start, end, zone) == expected


def test_daylight_saving_as_eventbridge_scheduler_documents() -> None:
    """Spring: a time in the skipped hour is skipped; autumn: a repeated time fires once."""
    spring = computed(
        "cron(30 2 * * ? *)",
        datetime(2026, 3, 7, tzinfo=UTC),
        datetime(2026, 3, 10, tzinfo=UTC),
        "America/New_York",
    )
    assert [m.day for m in spring] == [7, 9]
    autumn = computed(
        "cron(30 1 * * ? *)",
        datetime(2026, 10, 31, 12, tzinfo=UTC),
        datetime(2026, 11, 2, 5, tzinfo=UTC),
        "America/New_York",
    )
    assert autumn == [datetime(2026, 11, 1, 5, 30, tzinfo=UTC)]  # 01:30 EDT, not EST too


def test_rate_counts_from_its_anchor() -> None:
    created = datetime(2026, 5, 1, 10, 3, 27, tzinfo=UTC)
    rule = Schedule.parse("rate(5 minutes)", scheduler=False, anchor=created)
    assert list(rule.fire_times(created, 3)) == [
        datetime(2026, 5, 1, 10, 8, tzinfo=UTC),
        datetime(2026, 5, 1, 10, 13, tzinfo=UTC),
        datetime(2026, 5, 1, 10, 18, tzinfo=UTC),
    ]
    scheduler = Schedule.parse("rate(1 day)", anchor=created, timezone="Europe/Berlin")
    # Scheduler starts invoking at once; a day is 24 hours, across the DST change too.
    times = list(scheduler.fire_times(created.replace(second=0) - timedelta(seconds=1), 3))
    assert times[0] == datetime(2026, 5, 1, 10, 3, tzinfo=UTC)
    assert [b - a for a, b in zip(times, times[1:], strict=False)] == [timedelta(days=1)] * 2


def test_at_fires_once_in_its_time_zone() -> None:
    schedule = Schedule.parse("at(2026-07-04T09:00:00)", timezone="America/Los_Angeles")
    start = datetime(2026, 7, 1, tzinfo=UTC)
    assert list(schedule.fire_times(start)) == [datetime(2026, 7, 4, 16, 0, tzinfo=UTC)]


def test_start_and_end_bound_the_fire_times() -> None:
    schedule = Schedule.parse(
        "cron(0 12 * * ? *)",
        start=datetime(2026, 1, 10, tzinfo=UTC),
        end=datetime(2026, 1, 12, 12, tzinfo=UTC),
    )
    times = list(schedule.fire_times(datetime(2026, 1, 1, tzinfo=UTC)))
    assert [t.day for t in times] == [10, 11, 12]
