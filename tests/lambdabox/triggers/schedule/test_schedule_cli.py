"""`lambdabox schedule EXPR`, run as a real command."""

from __future__ import annotations

import json
import subprocess
import sys


def _schedule(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lambdabox", "schedule", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_next_fire_times() -> None:
    done = _schedule("cron(0 10 ? * 6#3 *)", "-n", "3", "--from", "2026-01-01T00:00:00Z")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "2026-01-16T10:00:00Z",
        "2026-02-20T10:00:00Z",
        "2026-03-20T10:00:00Z",
    ]


def test_time_zone_and_daylight_saving() -> None:
    done = _schedule(
        "cron(30 2 * * ? *)", "--timezone", "America/New_York", "--from", "2026-03-07", "-n", "2"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "2026-03-07T07:30:00Z  2026-03-07 02:30 EST",
        "2026-03-09T06:30:00Z  2026-03-09 02:30 EDT",  # 8 March has no 02:30
    ]


def test_json() -> None:
    done = _schedule("rate(5 minutes)", "--from", "2026-01-01T00:00:30Z", "-n", "2", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "expression": "rate(5 minutes)",
        "timezone": "UTC",
        "from": "2026-01-01T00:00:30Z",
        "fires": ["2026-01-01T00:05:00Z", "2026-01-01T00:10:00Z"],
        "local": ["2026-01-01T00:05:00+00:00", "2026-01-01T00:10:00+00:00"],
    }


def test_errors_are_usage_errors_that_say_what_is_wrong() -> None:
    bad = _schedule("rate(5 minute)")
    assert bad.returncode == 2
    assert bad.stderr == (
        "lambdabox schedule: invalid schedule expression 'rate(5 minute)': "
        "a value above 1 takes the plural: rate(5 minutes)\n"
    )
    assert "Traceback" not in bad.stderr
    when = _schedule("cron(0 10 * * ? *)", "--from", "yesterday")
    assert when.returncode == 2
    assert "--from 'yesterday' is not a time" in when.stderr
    zone = _schedule("cron(0 10 * * ? *)", "--timezone", "Moon/Base")
    assert zone.returncode == 2
    assert "unknown ScheduleExpressionTimezone" in zone.stderr


def test_an_expression_that_ends() -> None:
    done = _schedule("at(2026-07-04T09:00:00)", "--from", "2026-07-01")
    assert done.returncode == 0
    assert done.stdout == "2026-07-04T09:00:00Z\n"
    assert "fires 1 more time(s) only" in done.stderr
