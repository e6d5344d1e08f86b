"""A mapping's `FilterCriteria`: up to five patterns, a record passes when one matches.

For queue and stream sources the payload field (`body` for SQS, `data` for Kinesis) is a
string: a pattern that filters it with a JSON object only matches a payload that is a JSON
object, and a pattern that filters it with plain values only matches a payload that is not
JSON; any other combination drops the record, as Lambda documents it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lambdabox.triggers.filters.pattern import (
    FieldRule,
    FilterError,
    NestedRule,
    Pattern,
    compile_pattern,
)

MAX_FILTERS = 5  # Lambda's default quota of filters per event source mapping


@dataclass(frozen=True)
class FilterCriteria:
    """Compiled `FilterCriteria.Filters`; no patterns means every record passes."""

    patterns: tuple[Pattern, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.patterns)

    def matches(self, record: Mapping[str, Any], payload_key: str | None = None) -> bool:
        """Whether `record` is sent to the function. With `payload_key`, that field holds
        the payload as text, decoded as JSON for patterns that look inside it."""
        if not self.patterns:
            return True
        if payload_key is None:
            return any(p.matches(record) for p in self.patterns)
        text = record.get(payload_key)
        decoded = _json_object(text) if isinstance(text, str) else None
        for pattern in self.patterns:
            rule = pattern.rule_for(payload_key)
            if isinstance(rule, NestedRule):
                if decoded is None:
                    continue  # a JSON pattern never matches a payload that is not a JSON object
                if pattern.matches({**record, payload_key: decoded}):
                    return True
            elif isinstance(rule, FieldRule) and decoded is not None:
                continue  # a plain-value pattern never matches a JSON payload
            elif pattern.matches(record):
                return True
        return False


def _json_object(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def compile_criteria(criteria: Any, where: str = "FilterCriteria") -> FilterCriteria:
    """`{"Filters": [{"Pattern": "<JSON text>"}, ...]}` (a Pattern may also be an object in
    YAML templates) -> FilterCriteria; FilterError names the filter and the fix."""
    if criteria is None:
        return FilterCriteria()
    if not isinstance(criteria, dict) or set(criteria) - {"Filters"}:
        raise FilterError(f'{where}: write {{"Filters": [{{"Pattern": "<JSON pattern>"}}]}}')
    filters = criteria.get("Filters") or []
    if not isinstance(filters, list):
        raise FilterError(f"{where}.Filters: must be a list of {{Pattern: ...}}")
    if len(filters) > MAX_FILTERS:
        raise FilterError(
            f"{where}.Filters: {len(filters)} filters; a mapping takes at most {MAX_FILTERS} "
            '(combine them with "$or" or several values per field)'
        )
    patterns = []
    for i, item in enumerate(filters):
        at = f"{where}.Filters[{i}].Pattern"
        if not isinstance(item, dict) or "Pattern" not in item:
            raise FilterError(f'{where}.Filters[{i}]: write {{"Pattern": "<JSON pattern>"}}')
        raw = item["Pattern"]
        if isinstance(raw, str):
            try:
                raw = json.loads(raw)
            except ValueError as exc:
                raise FilterError(f"{at}: not valid JSON ({exc})") from None
        patterns.append(compile_pattern(raw, at))
    return FilterCriteria(tuple(patterns))
