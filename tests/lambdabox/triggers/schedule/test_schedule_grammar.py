"""The EventBridge schedule grammar: what parses, and the message for each kind of mistake."""

from __future__ import annotations

import pytest

from lambdabox.triggers.schedule import InvalidExpression, Schedule, parse_expression
from lambdabox.triggers.schedule.cron import CronExpression
from lambdabox.triggers.schedule.expressions import AtExpression, RateExpression

VALID = [
    "cron(0 10 * * ? *)",
    "cron(15 12 * * ? *)",
    "cron(0 18 ? * MON-FRI *)",
    "cron(0 8 1 * ? *)",
    "cron(0/15 * * * ? *)",
    "cron(0/10 * ? * MON-FRI *)",
    "cron(0/5 8-17 ? * MON-FRI *)",
    "cron(0 9 ? * 2#1 *)",
    "cron(0 0 L * ? *)",
    "cron(0 0 LW * ? *)",
    "cron(0 0 15W * ? *)",
    "cron(0 0 ? * 6L *)",
    "cron(0 0 ? * L *)",
    "cron(0 0 1 jan,Jul ? 1970-2199)",
    "cron(0 0 ? * sun,SAT *)",
    "cron(* * * * ? *)",
    "cron(1/10 */2 1-15/3 2-11/2 ? 2030/5)",
]


@pytest.mark.parametrize("text", VALID)
def test_valid_cron_expressions_parse(text: str) -> None:
    assert isinstance(parse_expression(text, scheduler=False), CronExpression)


def test_fields_mean_what_eventbridge_says() -> None:
    cron = parse_expression("cron(1/10 22-2 ? JAN,MAR-APR SUN,2-3 2026-2027)")
    assert isinstance(cron, CronExpression)
    assert sorted(cron.minutes) == [1, 11, 21, 31, 41, 51]
    assert sorted(cron.hours) == [0, 1, 2, 22, 23]  # a range wraps round midnight
    assert sorted(cron.months) == [1, 3, 4]
    assert cron.day_of_week is not None
    assert sorted(cron.day_of_week.days) == [1, 2, 3]
    assert sorted(cron.years) == [2026, 2027]
    assert cron.day_of_month is None


def test_rate_singular_and_plural() -> None:
    one = parse_expression("rate(1 minute)")
    assert isinstance(one, RateExpression)
    assert one.seconds == 60
    five = parse_expression("rate(5 minutes)")
    assert isinstance(five, RateExpression)
    assert five.seconds == 300
    assert isinstance(parse_expression("rate(1 hour)"), RateExpression)
    two_days = parse_expression("rate(2 days)")
    assert isinstance(two_days, RateExpression)
    assert two_days.seconds == 2 * 86400


def test_at_parses_for_scheduler_only() -> None:
    at = parse_expression("at(2026-12-31T23:59:00)")
    assert isinstance(at, AtExpression)
    assert at.when.year == 2026
    with pytest.raises(InvalidExpression, match="at\\(\\) is EventBridge Scheduler's"):
        parse_expression("at(2026-12-31T23:59:00)", scheduler=False)


INVALID = [
    ("cron(0 10 * * ?)", "takes 6 fields, not 5"),
    ("cron(0 10 * * ? * *)", "takes 6 fields, not 7"),
    ("cron(0 10 * * * *)", "exactly one of day-of-month and day-of-week must be ?"),
    ("cron(0 10 ? * ? *)", "exactly one of day-of-month and day-of-week must be ?"),
    ("cron(0 10 15 * MON *)", "exactly one of day-of-month and day-of-week must be ?"),
    ("cron(60 10 * * ? *)", "minutes 60 is out of range 0-59"),
    ("cron(0 24 * * ? *)", "hours 24 is out of range 0-23"),
    ("cron(0 0 32 * ? *)", "day-of-month 32 is out of range 1-31"),
    ("cron(0 0 0 * ? *)", "day-of-month 0 is out of range 1-31"),
    ("cron(0 0 * 13 ? *)", "month 13 is out of range 1-12"),
    ("cron(0 0 * FOO ? *)", "month 'FOO' is not a number or JAN-DEC"),
    ("cron(0 0 ? * 8 *)", "day-of-week 8 is out of range 1-7"),
    ("cron(0 0 ? * 0 *)", "day-of-week 0 is out of range 1-7"),
    ("cron(0 0 ? * MONDAY *)", "day-of-week 'MONDAY' is not a number or SUN-SAT"),
    ("cron(0 0 * * ? 1969)", "year 1969 is out of range 1970-2199"),
    ("cron(0 0 * * ? 2200)", "year 2200 is out of range 1970-2199"),
    ("cron(0 0 * * ? 2030-2026)", "year range '2030-2026' ends before it starts"),
    ("cron(0/0 * * * ? *)", "increment '0'"),
    ("cron(0/61 * * * ? *)", "increment '61'"),
    ("cron(? 0 * * ? *)", "minutes cannot be ?"),
    ("cron(0 0 * * ? ?)", "year cannot be ?"),
    ("cron(0 0 ? * 2#1,3#2 *)", "# allows a single expression"),
    ("cron(0 0 ? * 2#6 *)", "the number after # must be 1-5"),
    ("cron(0 0 ? * 9#1 *)", "day-of-week 9 is out of range 1-7"),
    ("cron(0 0 1,L * ? *)", "L and W stand alone"),
    ("cron(0 0 1-5W * ? *)", "W takes one day before it"),
    ("cron(0 0 32W * ? *)", "day-of-month 32 is out of range"),
    ("cron(0 0 ? * 2-3L *)", "L takes one day before it"),
    ("cron(0 0 L * ? *) x", "a schedule expression is"),
    ("cron(0 0 # * ? *)", "'#' is not allowed here"),
    ("cron(0 W * * ? *)", "hours 'W' is not a number"),
    ("cron(0 0 1,,2 * ? *)", "empty item"),
    ("rate(5 minute)", "a value above 1 takes the plural: rate(5 minutes)"),
    ("rate(5 hour)", "a value above 1 takes the plural: rate(5 hours)"),
    ("rate(1 minutes)", "a value of 1 takes the singular: rate(1 minute)"),
    ("rate(1 days)", "a value of 1 takes the singular: rate(1 day)"),
    ("rate(0 minutes)", "must be a positive whole number"),
    ("rate(-5 minutes)", "must be a positive whole number"),
    ("rate(1.5 hours)", "must be a positive whole number"),
    ("rate(5 seconds)", "must be minute(s), hour(s) or day(s)"),
    ("rate(5 weeks)", "must be minute(s), hour(s) or day(s)"),
    ("rate(5)", "takes a value and a unit"),
    ("rate(minutes 5)", "must be a positive whole number"),
    ("at(2026-12-31 23:59:00)", "must be yyyy-mm-ddThh:mm:ss"),
    ("at(2026-02-30T10:00:00)", "not a real date and time"),
    ("at(2026-12-31)", "must be yyyy-mm-ddThh:mm:ss"),
    ("every 5 minutes", "a schedule expression is cron(...), rate(...) or at(...)"),
    ("cron 0 10 * * ? *", "a schedule expression is"),
    ("", "a schedule expression is"),
]


@pytest.mark.parametrize(("text", "problem"), INVALID)
def test_invalid_expressions_say_what_is_wrong(text: str, problem: str) -> None:
    with pytest.raises(InvalidExpression) as caught:
        parse_expression(text)
    message = str(caught.value)
    assert message.startswith(f"invalid schedule expression {text!r}: ")
    assert problem in message


def test_a_cron_error_shows_how_to_write_it() -> None:
    with pytest.raises(InvalidExpression, match=r"e\.g\. cron\(0 12 \* \* \? \*\)"):
        parse_expression("cron(0 10 * * * *)")


def test_time_zones() -> None:
    with pytest.raises(InvalidExpression, match="unknown ScheduleExpressionTimezone"):
        Schedule.parse("cron(0 10 * * ? *)", timezone="Mars/Olympus")
    with pytest.raises(InvalidExpression, match="EventBridge rules run in UTC"):
        Schedule.parse("cron(0 10 * * ? *)", timezone="Europe/Paris", scheduler=False)
    assert Schedule.parse("cron(0 10 * * ? *)", timezone="Europe/Paris").zone is not None
