"""The schedule trigger firing real Event invocations of a real function (process mode),
driven by a ManualClock over a simulated week: every fire time and every payload."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from lambdabox.app.invoker import EmulatorInvoker
from lambdabox.emulator.config import EmulatorConfig, FunctionConfig
from lambdabox.emulator.server import Emulator
from lambdabox.template.model import Resource, Template
from lambdabox.triggers.ports import AppSettings
from lambdabox.triggers.schedule import InvalidScheduleResource, triggers
from lambdabox.triggers.schedule.clock import ManualClock

HANDLER = """
import json, os

def handler(event, context):
    with open(os.environ["SCHEDULE_TEST_LOG"], "a") as f:
        f.write(json.dumps({"id": context.aws_request_id, "event": event}) + "\\n")
"""
REGION, ACCOUNT = "eu-west-1", "111122223333"
ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:Tick"
START = datetime(2026, 3, 2, 0, 0, 30, tzinfo=UTC)  # a Monday


def _template(tmp: Path, events: dict[str, Any], *extra: Resource) -> Template:
    function = Resource(
        "TickFunction",
        "AWS::Serverless::Function",
        {"Handler": "rec.handler", "Events": events},
    )
    resources = {r.path: r for r in (function, *extra)}
    return Template(
        path=tmp / "template.yaml",
        resources=resources,
        region=REGION,
        account_id=ACCOUNT,
        stack_name="demo",
    )


def _run(
    tmp: Path,
    monkeypatch: pytest.MonkeyPatch,
    body: Callable[[EmulatorInvoker, Path], Awaitable[None]],
) -> None:
    code = tmp / "code"
    code.mkdir()
    (code / "rec.py").write_text(HANDLER)
    log = tmp / "fired.jsonl"
    monkeypatch.setenv("SCHEDULE_TEST_LOG", str(log))
    config = EmulatorConfig(
        command=(sys.executable, "-m", "runtime_interface", "rec.handler"),
        function=FunctionConfig(name="Tick", region=REGION, account_id=ACCOUNT, timeout_s=10),
        cwd=str(code),
        handler="rec.handler",
        invoke_port=0,
        runtime_api_port=0,
        max_concurrency=2,
        log_level="error",
        extensions_dir=None,
    )

    async def main() -> None:
        emulator = Emulator(config, log=lambda _line: None)
        await emulator.start()
        try:
            await body(EmulatorInvoker({"TickFunction": emulator}), log)
        finally:
            await emulator.close()

    asyncio.run(main())


async def _received(log: Path, ids: set[str], timeout: float = 60) -> dict[str, Any]:
    """The events the function logged, by request id, once all of `ids` ran (bounded)."""
    deadline = time.monotonic() + timeout
    while True:
        rows = [json.loads(x) for x in log.read_text().splitlines()] if log.exists() else []
        seen = {row["id"]: row["event"] for row in rows}
        if ids <= set(seen):
            assert len(rows) == len(seen)  # each invocation ran once
            return seen
        if time.monotonic() > deadline:
            raise AssertionError(f"{len(ids - set(seen))} scheduled invocations never ran")
        await asyncio.sleep(0.05)


def test_a_simulated_week_of_schedules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rule = Resource(
        "NoonRule",
        "AWS::Events::Rule",
        {
            "Name": "noon",
            "ScheduleExpression": "cron(0 12 * * ? *)",
            "Targets": [
                {
                    "Arn": ARN,
                    "Id": "t1",
                    "InputTransformer": {
                        "InputPathsMap": {"t": "$.time", "r": "$.resources"},
                        "InputTemplate": '{"at": "<t>", "rules": <r>}',
                    },
                },
                {"Arn": "arn:aws:sqs:eu-west-1:111122223333:elsewhere", "Id": "q"},
            ],
        },
    )
    once = Resource(
        "Once",
        "AWS::Scheduler::Schedule",
        {
            "ScheduleExpression": "at(2026-03-04T18:15:00)",
            "ScheduleExpressionTimezone": "America/New_York",
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "Target": {"Arn": ARN, "RoleArn": "arn:aws:iam::111122223333:role/x"},
        },
    )
    template = _template(
        tmp_path,
        {
            "Hourly": {"Type": "Schedule", "Properties": {"Schedule": "rate(1 hour)"}},
            "Weekdays": {
                "Type": "Schedule",
                "Properties": {
                    "Schedule": "cron(0 9 ? * MON-FRI *)",
                    "Input": '{"job": "report"}',
                },
            },
            "Off": {
                "Type": "Schedule",
                "Properties": {"Schedule": "rate(1 minute)", "Enabled": False},
            },
            "Berlin": {
                "Type": "ScheduleV2",
                "Properties": {
                    "ScheduleExpression": "cron(30 8 ? * 2#1 *)",
                    "ScheduleExpressionTimezone": "Europe/Berlin",
                    "Input": '{"v2": true}',
                },
            },
        },
        rule,
        once,
    )
    clock = ManualClock(START)

    async def body(invoker: EmulatorInvoker, log: Path) -> None:
        settings = AppSettings(clock=clock, region=REGION, account_id=ACCOUNT)
        made = triggers(template, invoker, settings)
        assert len(made) == 1
        lines = {line.detail["source"]: line for line in made[0].describe()}
        assert lines["TickFunction.Events.Hourly"].text == (
            "rate(1 hour) -> TickFunction, next 2026-03-02T01:00:00Z"
        )
        assert lines["TickFunction.Events.Off"].text.endswith("disabled")
        assert lines["TickFunction.Events.Berlin"].detail["next"] == "2026-03-02T07:30:00Z"
        await made[0].start()
        try:
            firings = []
            for _day in range(7):
                firings += await clock.advance_async(days=1)
        finally:
            await made[0].close()

        by_source: dict[str, list[datetime]] = {}
        for firing in firings:
            by_source.setdefault(firing.source, []).append(firing.scheduled)
        monday = datetime(2026, 3, 2, tzinfo=UTC)
        assert by_source["TickFunction.Events.Hourly"] == [
            monday + timedelta(hours=h) for h in range(1, 7 * 24 + 1)
        ]
        assert by_source["TickFunction.Events.Weekdays"] == [
            monday + timedelta(days=d, hours=9) for d in range(5)
        ]
        assert by_source["TickFunction.Events.Berlin"] == [monday + timedelta(hours=7, minutes=30)]
        assert by_source["AWS::Events::Rule NoonRule.Targets[0]"] == [
            monday + timedelta(days=d, hours=12) for d in range(7)
        ]
        assert by_source["AWS::Scheduler::Schedule Once"] == [
            datetime(2026, 3, 4, 23, 15, tzinfo=UTC)
        ]
        assert "TickFunction.Events.Off" not in by_source
        assert clock.datetime == START + timedelta(days=7)

        seen = await _received(log, {f.request_id for f in firings})
        by_id = {f.request_id: f for f in firings}
        for request_id, event in seen.items():
            firing = by_id[request_id]
            assert json.loads(firing.payload) == event
            if firing.source == "TickFunction.Events.Hourly":
                assert set(event) == {
                    "version",
                    "id",
                    "detail-type",
                    "source",
                    "account",
                    "time",
                    "region",
                    "resources",
                    "detail",
                }
                assert event["detail-type"] == "Scheduled Event"
                assert event["source"] == "aws.events"
                assert event["version"] == "0"
                assert event["account"] == ACCOUNT
                assert event["region"] == REGION
                assert event["detail"] == {}
                assert event["time"] == firing.scheduled.strftime("%Y-%m-%dT%H:%M:%SZ")
                assert event["resources"] == [
                    f"arn:aws:events:{REGION}:{ACCOUNT}:rule/demo-TickFunctionHourly"
                ]
            elif firing.source == "TickFunction.Events.Weekdays":
                assert event == {"job": "report"}
            elif firing.source == "TickFunction.Events.Berlin":
                assert event == {"v2": True}
            elif firing.source.startswith("AWS::Events::Rule"):
                assert event == {
                    "at": firing.scheduled.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "rules": [f"arn:aws:events:{REGION}:{ACCOUNT}:rule/noon"],
                }
            else:
                assert event["source"] == "aws.scheduler"
                assert event["resources"] == [
                    f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule/default/demo-Once"
                ]

    _run(tmp_path, monkeypatch, body)


def test_advance_from_another_thread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As the lambda_app fixture uses it: a synchronous caller on another thread."""
    template = _template(
        tmp_path,
        {"Every5": {"Type": "ScheduleV2", "Properties": {"ScheduleExpression": "rate(5 minutes)"}}},
    )
    clock = ManualClock(START)

    async def body(invoker: EmulatorInvoker, log: Path) -> None:
        made = triggers(template, invoker, AppSettings(clock=clock))
        await made[0].start()
        try:
            firings = await asyncio.to_thread(clock.advance, minutes=12)
        finally:
            await made[0].close()
        # Scheduler's rate starts at once (the current minute), then every 5 minutes.
        assert [f.scheduled.strftime("%H:%M") for f in firings] == ["00:00", "00:05", "00:10"]
        await _received(log, {f.request_id for f in firings})

    _run(tmp_path, monkeypatch, body)


def test_bad_declarations_name_the_resource(tmp_path: Path) -> None:
    from lambdabox.app.invoker import EmulatorInvoker as Invoker

    invoker = Invoker({})
    bad = _template(
        tmp_path, {"Nightly": {"Type": "Schedule", "Properties": {"Schedule": "rate(5 minute)"}}}
    )
    with pytest.raises(InvalidScheduleResource) as caught:
        triggers(bad, invoker, AppSettings())
    assert str(caught.value) == (
        "TickFunction.Events.Nightly: invalid schedule expression 'rate(5 minute)': "
        "a value above 1 takes the plural: rate(5 minutes)"
    )
    missing = _template(tmp_path, {"Nightly": {"Type": "ScheduleV2", "Properties": {}}})
    with pytest.raises(InvalidScheduleResource, match="ScheduleV2 events need ScheduleExpression"):
        triggers(missing, invoker, AppSettings())
    state = _template(
        tmp_path,
        {
            "N": {
                "Type": "ScheduleV2",
                "Properties": {"ScheduleExpression": "rate(1 day)", "State": "PAUSED"},
            }
        },
    )
    with pytest.raises(
        InvalidScheduleResource, match="State: 'PAUSED' must be ENABLED or DISABLED"
    ):
        triggers(state, invoker, AppSettings())
    assert triggers(_template(tmp_path, {}), invoker, AppSettings()) == []
