"""The general JSON encoder, for results the C encoder cannot write the service's way.

`_codec.dumps` comes here when a result holds a `Decimal` (a number with all its digits),
a `bytes` key (UTF-8 text, as simplejson writes it), a cycle ("Circular reference
detected", where the C encoder without cycle checks would overflow the stack) or a value
JSON cannot hold (the same TypeError simplejson raises). Separators as simplejson's.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

ITEM_SEPARATOR = ", "
KEY_SEPARATOR = ": "


def encode(obj: object, quote: Callable[[str], str]) -> str:
    """`obj` as JSON, strings quoted by `quote`; TypeError/ValueError as simplejson's."""
    out: list[str] = []
    _Writer(out, quote).write(obj)
    return "".join(out)


def _is_decimal(obj: object) -> bool:
    decimal = sys.modules.get("decimal")
    return decimal is not None and isinstance(obj, decimal.Decimal)


def _float(value: float) -> str:
    if value != value:  # noqa: PLR0124 - NaN is the only value unequal to itself
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "Infinity" if value > 0 else "-Infinity"
    return float.__repr__(value)


class _Writer:
    def __init__(self, out: list[str], quote: Callable[[str], str]) -> None:
        self.out = out
        self.quote = quote
        self.seen: set[int] = set()

    def write(self, obj: object) -> None:
        out = self.out
        if obj is None:
            out.append("null")
        elif obj is True:
            out.append("true")
        elif obj is False:
            out.append("false")
        elif isinstance(obj, str):
            out.append(self.quote(obj))
        elif isinstance(obj, bytes):
            out.append(self.quote(str(obj, "utf-8")))
        elif isinstance(obj, int):
            out.append(int.__repr__(obj))
        elif isinstance(obj, float):
            out.append(_float(obj))
        elif _is_decimal(obj):
            out.append("NaN" if obj.is_nan() else str(obj))  # type: ignore[attr-defined]
        elif isinstance(obj, (dict, list, tuple)):
            if id(obj) in self.seen:
                raise ValueError("Circular reference detected")
            self.seen.add(id(obj))
            if isinstance(obj, dict):
                self._dict(obj)
            else:
                self._list(obj)
            self.seen.discard(id(obj))
        else:
            raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")

    def _list(self, items: list[object] | tuple[object, ...]) -> None:
        self.out.append("[")
        for i, item in enumerate(items):
            if i:
                self.out.append(ITEM_SEPARATOR)
            self.write(item)
        self.out.append("]")

    def _dict(self, obj: dict[object, object]) -> None:
        out = self.out
        out.append("{")
        first = True
        for key, value in obj.items():
            name = key if isinstance(key, str) else _key(key)
            if not first:
                out.append(ITEM_SEPARATOR)
            first = False
            out.append(self.quote(name))
            out.append(KEY_SEPARATOR)
            self.write(value)
        out.append("}")


def _key(key: object) -> str:
    if isinstance(key, bytes):
        return str(key, "utf-8")
    if isinstance(key, float):
        return _float(key)
    if key is True:
        return "true"
    if key is False:
        return "false"
    if key is None:
        return "null"
    if isinstance(key, int):
        return str(int(key))
    raise TypeError(f"keys must be str, int, float, bool or None, not {type(key).__name__}")
