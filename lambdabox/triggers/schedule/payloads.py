"""What a schedule sends its function: the EventBridge "Scheduled Event", EventBridge
Scheduler's default notification, or the configured Input (rules also InputPath and
InputTransformer, the basics: `$`-paths with dotted keys and `<name>` placeholders)."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from lambdabox.triggers.schedule.errors import InvalidScheduleResource


def _time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def scheduled_event(
    *, source: str, resource_arn: str, account: str, region: str, moment: datetime
) -> dict[str, Any]:
    """The event a rule sends (source `aws.events`, `detail` {}), or Scheduler's default
    notification without Input (source `aws.scheduler`; observed with `detail` "{}", a
    string; unconfirmed by the documentation)."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": source,
        "account": account,
        "time": _time(moment),
        "region": region,
        "resources": [resource_arn],
        "detail": {} if source == "aws.events" else "{}",
    }


@dataclass(frozen=True)
class TargetInput:
    """How a target shapes its payload: Input, InputPath or InputTransformer (or none)."""

    input: str | None = None
    input_path: str | None = None
    paths_map: Mapping[str, str] | None = None
    template: str | None = None

    @classmethod
    def from_target(cls, where: str, target: Mapping[str, Any]) -> TargetInput:
        given = [k for k in ("Input", "InputPath", "InputTransformer") if target.get(k) is not None]
        if len(given) > 1:
            raise InvalidScheduleResource(
                f"{where}: a target takes one of Input, InputPath and InputTransformer, "
                f"not {' and '.join(given)}"
            )
        raw = target.get("Input")
        if raw is not None and not isinstance(raw, str):
            raw = json.dumps(raw)  # YAML authors often write the object itself
        transformer = target.get("InputTransformer")
        if transformer is not None:
            if not isinstance(transformer, Mapping) or "InputTemplate" not in transformer:
                raise InvalidScheduleResource(
                    f"{where}: InputTransformer needs an InputTemplate (and InputPathsMap)"
                )
            return cls(
                paths_map=dict(transformer.get("InputPathsMap") or {}),
                template=str(transformer["InputTemplate"]),
            )
        return cls(input=raw, input_path=target.get("InputPath"))

    def payload(self, event: dict[str, Any], rule_arn: str, rule_name: str) -> bytes:
        """The bytes the function receives for `event`."""
        if self.input is not None:
            return self.input.encode()
        if self.input_path is not None:
            return json.dumps(json_path(event, self.input_path)).encode()
        if self.template is not None:
            values: dict[str, Any] = {
                name: json_path(event, path) for name, path in (self.paths_map or {}).items()
            }
            values.setdefault("aws.events.rule-arn", rule_arn)
            values.setdefault("aws.events.rule-name", rule_name)
            values.setdefault("aws.events.event.json", event)
            return _fill(self.template, values).encode()
        return json.dumps(event).encode()


def json_path(event: Any, path: str) -> Any:
    """`$`, `$.a.b`, `$.resources[0]`: the value (None when absent)."""
    if path == "$":
        return event
    if not path.startswith("$."):
        raise InvalidScheduleResource(f"InputPath {path!r} must start with $ (e.g. $.detail)")
    value = event
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", path[2:]):
        if part.startswith("["):
            index = int(part[1:-1])
            value = value[index] if isinstance(value, list) and index < len(value) else None
        else:
            value = value.get(part) if isinstance(value, dict) else None
    return value


def _fill(template: str, values: Mapping[str, Any]) -> str:
    """Replace each known `<name>`: inside a JSON string (or a plain-text template) with the
    value's text, elsewhere in a JSON template with the value's JSON."""
    json_like = template.lstrip()[:1] in ("{", "[", '"')
    out: list[str] = []
    position = 0
    for match in re.finditer(r"<([A-Za-z0-9_.\-]+)>", template):
        name = match.group(1)
        if name not in values:
            continue
        before = template[position : match.start()]
        out.append(before)
        value = values[name]
        text = value if isinstance(value, str) else json.dumps(value)
        quoted = len(re.findall(r'(?<!\\)"', template[: match.start()])) % 2 == 1
        if not json_like:
            out.append(text)
        elif quoted:
            out.append(json.dumps(text)[1:-1])
        else:
            out.append(json.dumps(value))
        position = match.end()
    out.append(template[position:])
    return "".join(out)
