"""The leaf comparisons of a filter pattern: one frozen value per documented operator.

Each matcher answers `test(value)` for a value that is present in the record (arrays are
handled by the caller: any element may match); only `Exists(False)` matches an absent field.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Union

NUMERIC_OPS: dict[str, Callable[[float, float], bool]] = {
    "=": operator.eq,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@dataclass(frozen=True)
class Equals:
    """`"Name": ["Alice"]`, `[123]`, `[true]`, `[null]` (null: a JSON null; "": empty text)."""

    value: str | float | bool | None

    def test(self, value: Any) -> bool:
        if self.value is None or isinstance(self.value, bool):
            return value is self.value
        if is_number(self.value):
            return is_number(value) and float(value) == float(self.value)
        return isinstance(value, str) and value == self.value


TextOp = Literal["equals", "prefix", "suffix"]
_TEXT_TESTS: dict[str, Callable[[str, str], bool]] = {
    "equals": operator.eq,
    "prefix": str.startswith,
    "suffix": str.endswith,
}


@dataclass(frozen=True)
class Text:
    """A text comparison: `{"prefix": "us-"}`, `{"suffix": ".png"}`, and case-blind
    `{"equals-ignore-case": "alice"}` or `{"prefix": {"equals-ignore-case": "us-"}}`."""

    op: TextOp
    text: str
    ignore_case: bool = False

    def test(self, value: Any) -> bool:
        if not isinstance(value, str):
            return False
        if self.ignore_case:
            return _TEXT_TESTS[self.op](value.casefold(), self.text.casefold())
        return _TEXT_TESTS[self.op](value, self.text)


@dataclass(frozen=True)
class AnythingBut:
    """`{"anything-but": X}`: the value is present and X does not match it.

    X is a value, a list of values, or one of `{"prefix": s}`, `{"suffix": s}`,
    `{"equals-ignore-case": s | [s, ...]}`."""

    excluded: tuple[Leaf, ...]

    def test(self, value: Any) -> bool:
        return not any(m.test(value) for m in self.excluded)


@dataclass(frozen=True)
class Numeric:
    """`{"numeric": [">", 0, "<=", 5]}`: every comparison holds for a numeric value."""

    conditions: tuple[tuple[str, float], ...]

    def test(self, value: Any) -> bool:
        if not is_number(value):
            return False
        return all(NUMERIC_OPS[op](float(value), bound) for op, bound in self.conditions)


@dataclass(frozen=True)
class Exists:
    """`{"exists": true}` / `{"exists": false}` (only `false` matches an absent field)."""

    present: bool

    def test(self, value: Any) -> bool:
        return self.present


Leaf = Union[Equals, Text, AnythingBut, Numeric, Exists]
