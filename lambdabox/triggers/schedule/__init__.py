"""Schedules: EventBridge rules and EventBridge Scheduler schedules that invoke functions.

Holds the schedule-expression grammar (`cron()`, `rate()`, `at()`, time zones), exact
next-fire computation (`Schedule`), the schedule trigger that finds `Schedule`/`ScheduleV2`
events and `AWS::Events::Rule`/`AWS::Scheduler::Schedule` resources in a template and fires
Event invocations on the application's `Clock`, a `ManualClock` for tests, and the
`lambdabox schedule` command. May import `lambdabox.triggers.ports`, `lambdabox.template`
and the standard library; never `lambdabox.app` nor the CLI.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from lambdabox.triggers.schedule.errors import (
    InvalidExpression,
    InvalidScheduleResource,
    ScheduleError,
)
from lambdabox.triggers.schedule.expressions import parse_expression
from lambdabox.triggers.schedule.schedule import Schedule

if TYPE_CHECKING:
    from lambdabox.template.model import Template
    from lambdabox.triggers.ports import AppSettings, FunctionInvoker, Trigger

__all__ = [
    "InvalidExpression",
    "InvalidScheduleResource",
    "Schedule",
    "ScheduleError",
    "parse_expression",
    "triggers",
]


def triggers(
    template: Template, invoker: FunctionInvoker, settings: AppSettings
) -> Sequence[Trigger]:
    """The schedule triggers of `template` (one that runs every schedule found)."""
    from lambdabox.triggers.schedule.trigger import schedule_triggers

    return schedule_triggers(template, invoker, settings)
