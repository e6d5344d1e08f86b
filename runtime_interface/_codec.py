"""JSON for events and results, on the `_json` C accelerator without importing `json`.

`json` imports `re` and compiles patterns at import (about 6 ms of start-up); the C
scanner and encoder underneath are what `json` itself uses. The bytes are the service's,
whose Python runtime (awslambdaric) uses simplejson: `", "` and `": "` separators,
NaN/Infinity written, `Decimal` as a number with all its digits, `bytes` inside a result
as UTF-8 text, and non-ASCII characters escaped (`\\u00e9`) except on Python 3.12 and later
(`escapes_non_ascii`). Events are parsed as simplejson parses them (NaN/Infinity refused,
a leading BOM skipped, its error messages: `_jsonerrors`); client-context and identity
headers as awslambdaric parses them, with the standard library's rules (`loads_header`).
Log records use `dumps_log`: the standard library's `json` with `ensure_ascii=False`.
"""

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
ITEM_SEPARATOR = ", "
KEY_SEPARATOR = ": "


def escapes_non_ascii(execution_env: "str | None", version: tuple[int, int]) -> bool:
    """Whether results escape non-ASCII characters, as the service's runtime does.

    awslambdaric keeps UTF-8 only on the python3.12-and-later runtimes, which it tells by
    `AWS_EXECUTION_ENV` (`AWS_Lambda_python3.12`, ...); where that variable names no Python
    runtime (container images), the interpreter's own version decides the same way.
    """
    prefix = "AWS_Lambda_python3."
    if execution_env and execution_env.startswith(prefix):
        minor = execution_env[len(prefix) :]
        if minor.isdigit():
            return int(minor) < 12
    return version < (3, 12)


ASCII = escapes_non_ascii(None, sys.version_info[:2])
"""This process's choice: the interpreter's rule until `configure` applies the environment's."""


class _Decimal(Exception):
    """Raised by the fast encoder's `default` hook to switch to the Decimal-aware path."""


def _refuse_constant(name: str) -> float:
    raise ValueError(name)  # simplejson refuses NaN/Infinity in events: "Expecting value"


class _ScanContext:
    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant: "Callable[[str], float]" = _CONSTANTS.__getitem__
    memo: dict[str, str]


class _EventScanContext(_ScanContext):
    parse_constant = staticmethod(_refuse_constant)


def _make_scanner(context: "_ScanContext") -> "Callable[[str, int], tuple[Any, int]] | None":
    try:
        return _c.make_scanner(context)  # type: ignore[arg-type]
    except Exception:  # pragma: no cover - unusual interpreter
        return None


_scan_header = _make_scanner(_ScanContext()) if _c is not None else None
_scan_event = _make_scanner(_EventScanContext()) if _c is not None else None


def loads(data: "bytes | bytearray | memoryview | str") -> "Any":
    """Parse an event as awslambdaric does; ValueError with simplejson's message if bad."""
    text = data if isinstance(data, str) else str(data, "utf-8")
    start, size = 0, len(text)
    if text and text[0] in "\ufeff\xef":  # simplejson skips a byte order mark
        start = 1 if text[0] == "\ufeff" else 3 if text[:3] == "\xef\xbb\xbf" else 0
    while start < size and text[start] in _WS:
        start += 1
    if _scan_event is None:  # pragma: no cover
        import json

        return json.loads(text[start:])
    failure: Exception | None = None
    try:
        value, end = _scan_event(text, start)
        if end == size or not text[end:].strip(_WS):
            return value
    except RecursionError as exc:  # simplejson's wording of the same limit
        raise RecursionError(str(exc).replace("unicode string", "string")) from None
    except Exception as exc:
        failure = exc
    from ._jsonerrors import decode_error  # bad input only

    message = decode_error(text)
    if message is None and failure is not None:  # valid JSON refused otherwise (huge ints)
        raise failure
    raise ValueError(message or "Extra data")


def loads_header(text: str) -> "Any":
    """Parse a client-context or identity header: the standard library's `json.loads`."""
    if _scan_header is None:  # pragma: no cover
        import json

        return json.loads(text)
    start, size = 0, len(text)
    while start < size and text[start] in _WS:
        start += 1
    try:
        value, end = _scan_header(text, start)
        if not text[end:].strip(_WS):
            return value
    except Exception:
        pass
    # Bad input: the C scanner reports errors through json.decoder, imported only now.
    import json

    return json.loads(text)


def _default(obj: object) -> object:
    if isinstance(obj, bytes):  # simplejson writes bytes as UTF-8 text
        return str(obj, "utf-8")
    if _is_decimal(obj):
        raise _Decimal
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


def _is_decimal(obj: object) -> bool:
    decimal = sys.modules.get("decimal")
    return decimal is not None and isinstance(obj, decimal.Decimal)


BIG = 64 * 1024
"""Strings this long or longer take `_quote_big`'s fast path."""
_ESCAPED = bytes(range(32)) + b'"\\'
_ESCAPED_ASCII = _ESCAPED + b"\x7f"  # the ASCII quoter writes DEL as \u007f too


def _quoter(ascii_only: bool) -> "Callable[[str], str]":
    if _c is None:  # pragma: no cover
        import json

        return lambda text: json.dumps(text, ensure_ascii=ascii_only)
    return _c.encode_basestring_ascii if ascii_only else _c.encode_basestring


def _big_quoter(quote: "Callable[[str], str]", escaped: bytes) -> "Callable[[str], str]":
    def quote_big(text: str) -> str:
        """`quote`, with a fast path for long ASCII strings that need no escape.

        The C quoter walks every character twice (about 1.1 ms per MB); a copy through
        `bytes` plus one `translate` proves there is nothing to escape in a third of that.
        """
        if len(text) >= BIG and text.isascii():
            raw = text.encode("ascii")
            if len(raw.translate(None, escaped)) == len(raw):
                return '"' + text + '"'
        return quote(text)

    return quote_big


def _make_encoder(
    quote: "Callable[[str], str]", default: "Callable[[object], object]"
) -> "Callable[[Any, int], Any] | None":
    try:
        return _c.make_encoder(
            None, default, quote, None, KEY_SEPARATOR, ITEM_SEPARATOR, False, False, True
        )
    except Exception:  # pragma: no cover - unusual interpreter
        return None


def _encoders(ascii_only: bool) -> "tuple[Callable[[str], str], Any, Any]":
    """The quoter and the fast and big-string encoders for one escaping choice."""
    quote = _quoter(ascii_only)
    if _c is None:
        return quote, None, None
    big = _big_quoter(quote, _ESCAPED_ASCII if ascii_only else _ESCAPED)
    return quote, _make_encoder(quote, _default), _make_encoder(big, _default)


_quote, _encode_fast, _encode_big = _encoders(ASCII)


def configure(execution_env: "str | None") -> None:
    """Apply the runtime's `AWS_EXECUTION_ENV` (read once by `__main__`, at the edge)."""
    global ASCII, _quote, _encode_fast, _encode_big
    ascii_only = escapes_non_ascii(execution_env, sys.version_info[:2])
    if ascii_only == ASCII:
        return
    ASCII = ascii_only
    _quote, _encode_fast, _encode_big = _encoders(ASCII)


_encode_log = _make_encoder(_quoter(False), str) if _c is not None else None


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
    """Serialise a result or error as the service does; TypeError/ValueError if impossible."""
    if _encode_fast is not None:
        encode = _encode_big if _has_big_string(obj) else _encode_fast
        try:
            return "".join(encode(obj, 0))
        except (_Decimal, TypeError, ValueError, RecursionError):
            pass  # Decimals, bytes keys, cycles: the general path decides
    from ._jsonslow import encode as encode_general

    return encode_general(obj, _quote)


def dumps_ascii(obj: object) -> str:
    """As `dumps`, every non-ASCII character escaped whatever the Python (header values)."""
    from ._jsonslow import encode as encode_general

    return encode_general(obj, _quoter(True))


def dumps_log(obj: object) -> str:
    """A JSON log record: `json.dumps(obj, ensure_ascii=False, default=str)`."""
    if _encode_log is None:  # pragma: no cover
        import json

        return json.dumps(obj, ensure_ascii=False, default=str)
    return "".join(_encode_log(obj, 0))
