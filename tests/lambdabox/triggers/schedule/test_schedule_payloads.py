"""What a scheduled target receives: the Scheduled Event, Input, InputPath, InputTransformer."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from lambdabox.triggers.schedule import InvalidScheduleResource
from lambdabox.triggers.schedule.payloads import TargetInput, scheduled_event

RULE = "arn:aws:events:us-east-1:123456789012:rule/nightly"
MOMENT = datetime(2026, 3, 1, 1, 23, tzinfo=UTC)


def _event() -> dict[str, object]:
    return scheduled_event(
        source="aws.events",
        resource_arn=RULE,
        account="123456789012",
        region="us-east-1",
        moment=MOMENT,
    )


def test_the_scheduled_event() -> None:
    event = _event()
    assert event["time"] == "2026-03-01T01:23:00Z"
    assert event["resources"] == [RULE]
    assert event["detail"] == {}
    assert json.loads(TargetInput().payload(event, RULE, "nightly")) == event


def test_input_is_sent_as_written() -> None:
    target = TargetInput.from_target("R", {"Input": '{"a": 1}'})
    assert target.payload(_event(), RULE, "nightly") == b'{"a": 1}'
    written_as_object = TargetInput.from_target("R", {"Input": {"a": 1}})
    assert json.loads(written_as_object.payload(_event(), RULE, "nightly")) == {"a": 1}


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("$", None),
        ("$.detail", {}),
        ("$.time", "2026-03-01T01:23:00Z"),
        ("$.resources[0]", RULE),
        ("$.nothing.here", None),
    ],
)
def test_input_path(path: str, value: object) -> None:
    event = _event()
    got = json.loads(TargetInput.from_target("R", {"InputPath": path}).payload(event, RULE, "n"))
    assert got == (event if path == "$" else value)


def test_input_transformer() -> None:
    target = TargetInput.from_target(
        "R",
        {
            "InputTransformer": {
                "InputPathsMap": {"t": "$.time", "d": "$.detail"},
                "InputTemplate": (
                    '{"msg": "fired at <t>", "detail": <d>, "rule": "<aws.events.rule-name>"}'
                ),
            }
        },
    )
    assert json.loads(target.payload(_event(), RULE, "nightly")) == {
        "msg": "fired at 2026-03-01T01:23:00Z",
        "detail": {},
        "rule": "nightly",
    }


def test_conflicting_or_broken_targets_are_errors() -> None:
    with pytest.raises(
        InvalidScheduleResource, match="one of Input, InputPath and InputTransformer"
    ):
        TargetInput.from_target("Rule.Targets[0]", {"Input": "{}", "InputPath": "$.detail"})
    with pytest.raises(InvalidScheduleResource, match="InputTransformer needs an InputTemplate"):
        TargetInput.from_target("Rule.Targets[0]", {"InputTransformer": {"InputPathsMap": {}}})
    with pytest.raises(InvalidScheduleResource, match="must start with"):
        TargetInput.from_target("R", {"InputPath": "detail"}).payload(_event(), RULE, "n")
