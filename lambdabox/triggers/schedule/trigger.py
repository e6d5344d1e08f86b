"""The schedule trigger: every schedule of the application, fired on the application's clock.

Each enabled schedule is a task that sleeps on `settings.clock` until its next fire time
(whole minutes, as EventBridge fires), then sends its payload to its function as an Event
invocation through the `FunctionInvoker` (so retries and destinations apply), and sleeps
again. EventBridge Scheduler fires within the current minute (its 60-second precision: a
schedule starting now fires now); a rule's `rate()` fires one period after it is created.
A flexible time window fires at its start.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from lambdabox.template.model import Template
from lambdabox.triggers.ports import AppSettings, FunctionInvoker, TriggerLine, UnknownFunction
from lambdabox.triggers.schedule.clock import Firing, FiringObserver
from lambdabox.triggers.schedule.payloads import scheduled_event
from lambdabox.triggers.schedule.schedule import Schedule
from lambdabox.triggers.schedule.specs import SCHEDULER, ScheduleSpec, read_specs

_EPSILON = timedelta(microseconds=1)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ScheduleTrigger:
    """Runs a set of schedules (a `Trigger`: describe, start, close)."""

    def __init__(
        self,
        specs: Sequence[ScheduleSpec],
        invoker: FunctionInvoker,
        settings: AppSettings,
        region: str,
        account: str,
    ) -> None:
        self._specs = list(specs)
        self._invoker = invoker
        self._settings = settings
        self._region = region
        self._account = account
        created = self._now()
        self._schedules = [spec.schedule(created) for spec in self._specs]
        self._first = [self._first_after(spec, created) for spec in self._specs]
        self._tasks: list[asyncio.Task[None]] = []

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._settings.clock.now(), UTC)

    @staticmethod
    def _first_after(spec: ScheduleSpec, created: datetime) -> datetime:
        if spec.kind == SCHEDULER:  # fires within the current minute
            return created.replace(second=0, microsecond=0) - _EPSILON
        return created

    def describe(self) -> Sequence[TriggerLine]:
        """One line per schedule: expression, function, next fire time (or disabled)."""
        lines = []
        for spec, schedule, after in zip(self._specs, self._schedules, self._first, strict=True):
            upcoming = schedule.next_after(after) if spec.enabled else None
            zone = f" ({spec.timezone})" if spec.timezone else ""
            if not spec.enabled:
                when = "disabled"
            elif upcoming is None:
                when = "never fires again"
            else:
                when = f"next {_iso(upcoming)}"
            lines.append(
                TriggerLine(
                    kind="schedule",
                    function=spec.function,
                    text=f"{spec.expression}{zone} -> {spec.function}, {when}",
                    detail={
                        "source": spec.source,
                        "expression": spec.expression,
                        "timezone": spec.timezone or "UTC",
                        "enabled": spec.enabled,
                        "next": _iso(upcoming),
                        "name": spec.name,
                        "arn": spec.arn,
                    },
                )
            )
        return lines

    async def start(self) -> None:
        """Start one task per enabled schedule."""
        for spec, schedule, after in zip(self._specs, self._schedules, self._first, strict=True):
            if spec.enabled:
                task = asyncio.ensure_future(self._run(spec, schedule, after))
                self._tasks.append(task)
                if isinstance(self._settings.clock, FiringObserver):
                    self._settings.clock.watch(task)

    async def close(self) -> None:
        """Stop every schedule (an Event invocation already accepted still runs)."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()

    async def _run(self, spec: ScheduleSpec, schedule: Schedule, after: datetime) -> None:
        clock = self._settings.clock
        while True:
            due = schedule.next_after(after)
            if due is None:
                return
            await clock.sleep_until(due.timestamp())
            await self._fire(spec, due)
            after = due

    async def _fire(self, spec: ScheduleSpec, due: datetime) -> None:
        source = "aws.scheduler" if spec.kind == SCHEDULER else "aws.events"
        event = scheduled_event(
            source=source,
            resource_arn=spec.arn,
            account=self._account,
            region=self._region,
            moment=due,
        )
        payload = spec.target.payload(event, spec.arn, spec.name)
        try:
            request_id = await self._invoker.invoke_event(spec.function, payload)
        except Exception as exc:  # one bad firing must not stop the schedule
            self._settings.notes(f"schedule {spec.source} -> {spec.function}: not sent: {exc}")
            return
        clock = self._settings.clock
        if isinstance(clock, FiringObserver):
            clock.fired(Firing(spec.function, request_id, due, spec.source, payload))


def schedule_triggers(
    template: Template, invoker: FunctionInvoker, settings: AppSettings
) -> list[ScheduleTrigger]:
    """The trigger for every schedule in `template` (none when it declares none)."""
    by_arn: dict[str, str] = {}
    for function in template.functions():
        with contextlib.suppress(UnknownFunction):
            by_arn[invoker.function_arn(function.path)] = function.path

    def function_of(reference: str) -> str | None:
        if reference in by_arn:
            return by_arn[reference]
        base = reference.rsplit(":", 1)[0] if reference.count(":") >= 7 else reference
        if base in by_arn:
            return by_arn[base]
        try:
            return by_arn.get(invoker.function_arn(reference))
        except UnknownFunction:
            return None

    specs = read_specs(template, function_of)
    if not specs:
        return []
    return [ScheduleTrigger(specs, invoker, settings, template.region, template.account_id)]


__all__ = ["ScheduleTrigger", "schedule_triggers"]
