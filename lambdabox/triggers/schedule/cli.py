"""`lambdabox schedule EXPR`: the next fire times of an EventBridge schedule expression."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime, timedelta

from lambdabox.triggers.schedule.errors import InvalidExpression
from lambdabox.triggers.schedule.expressions import AtExpression, parse_expression
from lambdabox.triggers.schedule.schedule import Schedule, time_zone

DESCRIPTION = """\
Print the next times an EventBridge schedule expression fires, computed exactly as
EventBridge does: cron() with its six fields (minutes hours day-of-month month
day-of-week year; 1 = Sunday; ? L W #; JAN-DEC, SUN-SAT), rate() counted from --from,
and EventBridge Scheduler's at(). With --timezone (Scheduler's ScheduleExpressionTimezone)
the expression is read on that zone's wall clock: a time skipped by daylight saving does
not fire, a repeated one fires once.

examples:
  lambdabox schedule 'cron(0 9 ? * MON-FRI *)'
  lambdabox schedule 'cron(0 10 ? * 6#3 *)' -n 3 --from 2026-01-01T00:00:00Z
  lambdabox schedule 'cron(30 2 * * ? *)' --timezone America/New_York --from 2026-03-07
  lambdabox schedule 'rate(5 minutes)' --json

exit statuses: 0 success (also when it never fires again: said on stderr),
2 usage error (an invalid expression, time zone or --from; the message says what is wrong)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("expression", metavar="EXPR", help="cron(...), rate(...) or at(...)")
    parser.add_argument(
        "--from",
        dest="start",
        metavar="TIME",
        help="count from TIME (ISO 8601, e.g. 2026-03-01T08:00:00Z; without an offset it is "
        "read in --timezone, else UTC); default now",
    )
    parser.add_argument(
        "-n", type=int, default=5, metavar="N", help="how many fire times (default 5)"
    )
    parser.add_argument(
        "--timezone",
        metavar="TZ",
        help="an IANA zone (EventBridge Scheduler's ScheduleExpressionTimezone); implies "
        "--scheduler",
    )
    parser.add_argument(
        "--scheduler",
        action="store_true",
        help="EventBridge Scheduler's rules (at(), time zones, rate() firing at --from "
        "itself); default: an EventBridge rule's (rate() fires one period after --from)",
    )
    parser.add_argument("--json", action="store_true", help="one JSON document on stdout")


def _fail(message: str) -> int:
    sys.stderr.write(f"lambdabox schedule: {message}\n")
    return 2


def _start(text: str | None, zone_name: str | None) -> datetime:
    if text is None:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"--from {text!r} is not a time: write e.g. 2026-03-01T08:00:00Z or 2026-03-01"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=time_zone(zone_name))
    return moment.astimezone(UTC)


def run(args: argparse.Namespace) -> int:
    if args.n < 1:
        return _fail("-n must be at least 1")
    try:
        scheduler = bool(
            args.scheduler
            or args.timezone
            or isinstance(parse_expression(args.expression), AtExpression)
        )
        start = _start(args.start, args.timezone)
        schedule = Schedule.parse(
            args.expression, timezone=args.timezone, scheduler=scheduler, anchor=start
        )
    except (InvalidExpression, ValueError) as exc:
        return _fail(str(exc))
    # Scheduler fires within the minute it starts in (60-second precision).
    after = start
    if scheduler:
        after = start.replace(second=0, microsecond=0) - timedelta(microseconds=1)
    times = list(schedule.fire_times(after, args.n))
    zone = schedule.zone
    if args.json:
        document = {
            "expression": args.expression,
            "timezone": args.timezone or "UTC",
            "from": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "fires": [t.strftime("%Y-%m-%dT%H:%M:%SZ") for t in times],
            "local": [t.astimezone(zone).isoformat() for t in times],
        }
        sys.stdout.write(json.dumps(document, indent=2) + "\n")
    else:
        for moment in times:
            line = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
            if args.timezone:
                line += f"  {moment.astimezone(zone).strftime('%Y-%m-%d %H:%M %Z')}"
            sys.stdout.write(line + "\n")
    if len(times) < args.n:
        sys.stderr.write(
            f"lambdabox schedule: {args.expression} fires {len(times)} more time(s) only\n"
        )
    return 0
