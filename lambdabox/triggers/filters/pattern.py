"""One filter pattern, validated and compiled: fields to match, nested objects, `$or`.

The syntax is EventBridge's event-pattern syntax as far as Lambda's event filtering documents
it: a JSON object whose keys follow the record's structure; a leaf is an array of
alternatives (values, `equals-ignore-case`, `prefix`, `suffix`, `anything-but`, `numeric`,
`exists`); keys at one level must all match; `"$or": [pattern, ...]` needs one of its
patterns to match. `wildcard` and `cidr` are EventBridge-only and refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Union

from lambdabox.triggers.filters.matchers import (
    NUMERIC_OPS,
    AnythingBut,
    Equals,
    Exists,
    Leaf,
    Numeric,
    Text,
    is_number,
)

_ABSENT = object()


class FilterError(ValueError):
    """A filter pattern Lambda would refuse; the message says what to write instead."""


@dataclass(frozen=True)
class FieldRule:
    """`"key": [alternatives]`: the record's value at `key` matches one alternative."""

    key: str
    alternatives: tuple[Leaf, ...]

    def matches(self, record: Mapping[str, Any]) -> bool:
        value = record.get(self.key, _ABSENT)
        if value is _ABSENT:
            return any(isinstance(m, Exists) and not m.present for m in self.alternatives)
        values = value if isinstance(value, list) else [value]
        return any(m.test(v) for m in self.alternatives for v in values)


@dataclass(frozen=True)
class NestedRule:
    """`"key": {pattern}`: the object at `key` (or any object in the array there) matches."""

    key: str
    pattern: Pattern

    def matches(self, record: Mapping[str, Any]) -> bool:
        value = record.get(self.key, _ABSENT)
        if isinstance(value, list):
            return any(isinstance(v, dict) and self.pattern.matches(v) for v in value)
        return self.pattern.matches(value if isinstance(value, dict) else {})


@dataclass(frozen=True)
class OrRule:
    """`"$or": [pattern, ...]`."""

    alternatives: tuple[Pattern, ...]

    def matches(self, record: Mapping[str, Any]) -> bool:
        return any(p.matches(record) for p in self.alternatives)


Rule = Union[FieldRule, NestedRule, OrRule]


@dataclass(frozen=True)
class Pattern:
    """A compiled pattern: every rule must match."""

    rules: tuple[Rule, ...]

    def matches(self, record: Mapping[str, Any]) -> bool:
        return all(rule.matches(record) for rule in self.rules)

    def rule_for(self, key: str) -> Rule | None:
        """The top-level rule on `key`, if any (mappings check how `body`/`data` is filtered)."""
        for rule in self.rules:
            if not isinstance(rule, OrRule) and rule.key == key:
                return rule
        return None


def compile_pattern(pattern: Any, where: str = "pattern") -> Pattern:
    """Validate `pattern` (a decoded JSON object) and compile it; FilterError names the spot."""
    if not isinstance(pattern, dict) or not pattern:
        raise FilterError(
            f"{where}: a filter pattern is a non-empty JSON object, e.g. "
            '{"body": {"type": ["order"]}}'
        )
    rules: list[Rule] = []
    for key, spec in pattern.items():
        at = f"{where}.{key}"
        if key == "$or":
            if not isinstance(spec, list) or len(spec) < 2:
                raise FilterError(f'{at}: "$or" takes an array of at least two patterns')
            rules.append(
                OrRule(tuple(compile_pattern(p, f"{at}[{i}]") for i, p in enumerate(spec)))
            )
        elif isinstance(spec, dict):
            rules.append(NestedRule(key, compile_pattern(spec, at)))
        elif isinstance(spec, list):
            if not spec:
                raise FilterError(f"{at}: an empty array matches nothing; list the values to match")
            rules.append(FieldRule(key, tuple(_leaf(item, at) for item in spec)))
        else:
            raise FilterError(
                f"{at}: a value to match must be in an array (write [{_show(spec)}]) or be a "
                "nested object"
            )
    return Pattern(tuple(rules))


def _show(value: Any) -> str:
    import json

    return json.dumps(value)


def _leaf(item: Any, at: str) -> Leaf:
    if item is None or isinstance(item, (str, bool)) or is_number(item):
        return Equals(item)
    if not isinstance(item, dict) or len(item) != 1:
        raise FilterError(f"{at}: {_show(item)} is not a value or a one-key operator object")
    ((op, arg),) = item.items()
    if op == "equals-ignore-case":
        return Text("equals", _text(arg, at, op), ignore_case=True)
    if op in ("prefix", "suffix"):
        ignore = isinstance(arg, dict)
        text = _text(arg.get("equals-ignore-case") if ignore and len(arg) == 1 else arg, at, op)
        return Text(op, text, ignore)
    if op == "anything-but":
        return AnythingBut(_excluded(arg, at))
    if op == "numeric":
        return Numeric(_numeric(arg, at))
    if op == "exists":
        if not isinstance(arg, bool):
            raise FilterError(f'{at}: "exists" takes true or false')
        return Exists(arg)
    if op in ("wildcard", "cidr"):
        raise FilterError(
            f'{at}: "{op}" is an EventBridge operator that Lambda event filtering does not '
            'support; use "prefix", "suffix" or "anything-but"'
        )
    raise FilterError(
        f'{at}: unknown operator "{op}" (Lambda supports equals-ignore-case, prefix, suffix, '
        "anything-but, numeric, exists)"
    )


def _text(arg: Any, at: str, op: str) -> str:
    if not isinstance(arg, str):
        raise FilterError(f'{at}: "{op}" takes a string')
    return arg


def _excluded(arg: Any, at: str) -> tuple[Leaf, ...]:
    if isinstance(arg, (str, bool)) or is_number(arg):
        return (Equals(arg),)
    if isinstance(arg, list) and arg:
        if not all(isinstance(v, str) or is_number(v) for v in arg):
            raise FilterError(f'{at}: "anything-but" lists strings or numbers')
        return tuple(Equals(v) for v in arg)
    if isinstance(arg, dict) and len(arg) == 1:
        ((op, value),) = arg.items()
        if op in ("prefix", "suffix"):
            return (Text(op, _text(value, at, f"anything-but/{op}")),)
        if op == "equals-ignore-case":
            texts = value if isinstance(value, list) else [value]
            what = "anything-but/equals-ignore-case"
            return tuple(Text("equals", _text(t, at, what), ignore_case=True) for t in texts)
    raise FilterError(
        f'{at}: "anything-but" takes a value, a non-empty list of values, or one of '
        '{"prefix": s}, {"suffix": s}, {"equals-ignore-case": s}'
    )


def _numeric(arg: Any, at: str) -> tuple[tuple[str, float], ...]:
    usage = f'{at}: "numeric" takes operator/number pairs, e.g. [">", 0, "<=", 5]'
    if not isinstance(arg, list) or not arg or len(arg) % 2 or len(arg) > 4:
        raise FilterError(usage)
    pairs: list[tuple[str, float]] = []
    for op, bound in zip(arg[::2], arg[1::2]):
        if op not in NUMERIC_OPS or not is_number(bound):
            raise FilterError(usage)
        pairs.append((op, float(bound)))
    return tuple(pairs)
