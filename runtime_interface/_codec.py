"""JSON for events and results, on the `_json` C accelerator without importing `json`.

`json` imports `re` and compiles patterns at import (about 6 ms of start-up); the C
scanner and encoder underneath are what `json` itself uses. Semantics follow
awslambdaric: NaN/Infinity allowed, `Decimal` written as a JSON number with all its
digits, non-ASCII characters kept as they are (UTF-8 on the wire).
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

try:  # CPython ships _json; other interpreters fall back to the json package.
    import _json as _c
except ImportError:  # pragma: no cover
    _c = None  # type: ignore[assignment]

_WS = " \t\n\r"
_CONSTANTS = {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}


class _Decimal(Exception):
    """Raised by the fast encoder's `default` hook to switch to the Decimal-aware path."""


class _ScanContext:
    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = _CONSTANTS.__getitem__
    memo: dict[str, str]


def _make_scanner() -> Callable[[str, int], tuple[Any, int]] | None:
    try:
        return _c.make_scanner(_ScanContext())  # type: ignore[arg-type]
    except Exception:  # pragma: no cover - unusual interpreter
        return None


_scan = _make_scanner() if _c is not None else None


def loads(data: bytes | bytearray | memoryview | str) -> Any:
    """Parse a JSON document; raises ValueError with json's message on bad input."""
    text = data if isinstance(data, str) else str(data, "utf-8")
    if _scan is None:  # pragma: no cover
        import json

        return json.loads(text)
    start, size = 0, len(text)
    while start < size and text[start] in _WS:
        start += 1
    try:
        value, end = _scan(text, start)
        if not text[end:].strip(_WS):
            return value
    except Exception:
        pass
    # Bad input (or trailing data): the C scanner reports errors through json.decoder,
    # which is imported only now, on this slow path.
    import json

    return json.loads(text)


def _default(obj: object) -> object:
    if _is_decimal(obj):
        raise _Decimal
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


def _is_decimal(obj: object) -> bool:
    decimal = sys.modules.get("decimal")
    return decimal is not None and isinstance(obj, decimal.Decimal)


def _make_encoder() -> Callable[[Any, int], Any] | None:
    try:
        return _c.make_encoder(
            None, _default, _c.encode_basestring, None, ":", ",", False, False, True
        )
    except Exception:  # pragma: no cover - unusual interpreter
        return None


_encode_fast = _make_encoder() if _c is not None else None

BIG = 64 * 1024
"""Strings this long or longer take `_quote_big`'s fast path."""
_ESCAPED = bytes(range(32)) + b'"\\'


def _quote_big(text: str) -> str:
    """`encode_basestring`, with a fast path for long ASCII strings that need no escape.

    The C quoter walks every character twice (about 1.1 ms per MB); a copy through `bytes`
    plus one `translate` proves there is nothing to escape in about a third of that.
    """
    if len(text) >= BIG and text.isascii():
        raw = text.encode("ascii")
        if len(raw.translate(None, _ESCAPED)) == len(raw):
            return '"' + text + '"'
    return _c.encode_basestring(text)


def _make_big_encoder() -> Callable[[Any, int], Any] | None:
    try:
        return _c.make_encoder(None, _default, _quote_big, None, ":", ",", False, False, True)
    except Exception:  # pragma: no cover - unusual interpreter
        return None


_encode_big = _make_big_encoder() if _c is not None else None


def _has_big_string(obj: object) -> bool:
    """A long string as `obj` or as one of its top-level values (the usual shape of large
    results, e.g. an HTTP response's body): cheap to look for in small results."""
    kind = type(obj)
    if kind is str:
        return len(obj) >= BIG  # type: ignore[arg-type]
    if kind is dict:
        values: Any = obj.values()  # type: ignore[attr-defined]
    elif kind is list and len(obj) <= 64:  # type: ignore[arg-type]
        values = obj
    else:
        return False
    for value in values:  # noqa: SIM110 - a loop is faster than any() over a generator
        if type(value) is str and len(value) >= BIG:
            return True
    return False


def dumps(obj: object) -> str:
    """Serialise `obj` compactly; raises TypeError/ValueError for what JSON cannot hold."""
    if _encode_fast is not None:
        encode = _encode_big if _has_big_string(obj) else _encode_fast
        try:
            return "".join(encode(obj, 0))  # type: ignore[misc]
        except _Decimal:
            pass
    return "".join(_encode_slow(obj, set()))


def _encode_slow(obj: object, seen: set[int]) -> list[str]:
    """The general path: like json's, plus Decimal as a number. Used when Decimals appear."""
    out: list[str] = []
    _write(obj, out, seen)
    return out


def _quote(text: str) -> str:
    if _c is not None:
        return _c.encode_basestring(text)
    import json  # pragma: no cover

    return json.dumps(text, ensure_ascii=False)  # pragma: no cover


def _float(value: float) -> str:
    if value != value:  # noqa: PLR0124 - NaN is the only value unequal to itself
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "Infinity" if value > 0 else "-Infinity"
    return float.__repr__(value)


def _write(obj: object, out: list[str], seen: set[int]) -> None:
    if obj is None:
        out.append("null")
    elif obj is True:
        out.append("true")
    elif obj is False:
        out.append("false")
    elif isinstance(obj, str):
        out.append(_quote(obj))
    elif isinstance(obj, int):
        out.append(int.__repr__(obj))
    elif isinstance(obj, float):
        out.append(_float(obj))
    elif _is_decimal(obj):
        out.append("NaN" if obj.is_nan() else str(obj))  # type: ignore[attr-defined]
    elif isinstance(obj, (dict, list, tuple)):
        if id(obj) in seen:
            raise ValueError("Circular reference detected")
        seen.add(id(obj))
        if isinstance(obj, dict):
            _write_dict(obj, out, seen)
        else:
            out.append("[")
            for i, item in enumerate(obj):
                if i:
                    out.append(",")
                _write(item, out, seen)
            out.append("]")
        seen.discard(id(obj))
    else:
        raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


def _write_dict(obj: dict[object, object], out: list[str], seen: set[int]) -> None:
    out.append("{")
    first = True
    for key, value in obj.items():
        if isinstance(key, str):
            name = key
        elif key is None or isinstance(key, (bool, int, float)) or _is_decimal(key):
            name = _scalar_key(key)
        else:
            raise TypeError(f"keys must be str, int, float, bool or None, not {type(key).__name__}")
        if not first:
            out.append(",")
        first = False
        out.append(_quote(name))
        out.append(":")
        _write(value, out, seen)
    out.append("}")


def _scalar_key(key: object) -> str:
    if key is None:
        return "null"
    if key is True:
        return "true"
    if key is False:
        return "false"
    if isinstance(key, float):
        return _float(key)
    return str(key)
