"""Formatting of response status lines and header/trailer fields (validated, CRLF-safe)."""

from __future__ import annotations

from collections.abc import Iterable

from lambdabox.emulator.httpserver.parsing import REASONS, TCHAR, has_token

STATUS_LINES: dict[int, str] = {
    code: f"HTTP/1.1 {code} {phrase}\r\n" for code, phrase in REASONS.items()
}

# Response header names the server manages itself.
_NAME_PLAIN = 0
_NAME_DROP = 1  # Content-Length, Transfer-Encoding: computed by the server
_NAME_CONNECTION = 2
_RESPONSE_NAMES: dict[str, int] = {}
_RESPONSE_NAMES_MAX = 1024


def _response_name_kind(name: str) -> int:
    """Validate a response field name once; return how the server treats it."""
    kind = _RESPONSE_NAMES.get(name)
    if kind is not None:
        return kind
    if not name or not name.isascii() or name.encode("ascii").translate(None, TCHAR):
        raise ValueError(f"invalid header field name {name!r}")
    lower = name.lower()
    if lower in ("content-length", "transfer-encoding"):
        kind = _NAME_DROP
    elif lower == "connection":
        kind = _NAME_CONNECTION
    else:
        kind = _NAME_PLAIN
    if len(_RESPONSE_NAMES) < _RESPONSE_NAMES_MAX:
        _RESPONSE_NAMES[name] = kind
    return kind


def field_lines(fields: Iterable[tuple[str, str]]) -> tuple[str, bool]:
    """Format response header/trailer lines; return them and whether ``Connection: close``."""
    lines: list[str] = []
    close = False
    for name, value in fields:
        kind = _response_name_kind(name)
        if kind == _NAME_PLAIN:
            lines.append(f"{name}: {value}\r\n")
        elif kind == _NAME_CONNECTION and has_token(value, "close"):
            close = True
    if not lines:
        return "", close
    text = "".join(lines)
    count = len(lines)
    if text.count("\r") != count or text.count("\n") != count:
        raise ValueError("CR or LF in a header field value")
    return text, close
