"""Why an event is not JSON, in the words the service's runtime uses (simplejson's).

Only called once the fast C scanner has refused a document: this module walks it again by
JSON's grammar, as simplejson does (NaN and Infinity refused, one leading byte order mark
skipped), and names the first fault and where it is: `Expecting property name enclosed in
double quotes or '}': line 1 column 2 (char 1)`, `Extra data: line 1 column 3 - line 1
column 6 (char 2 - 5)`, `Illegal trailing comma before end of array: ...`, and so on.
Iterative (an explicit stack), so deep documents cannot overflow it.
"""

from __future__ import annotations

import re

_WS = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
_CHUNK = re.compile(r'[^"\\\x00-\x1f]*(["\\\x00-\x1f])')
_HEX4 = re.compile(r"[0-9a-fA-F]{4}")
_ESCAPES = frozenset('"\\/bfnrt')
_LITERALS = ("null", "true", "false")


class _Fault(Exception):
    def __init__(self, message: str, pos: int, end: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.pos = pos
        self.end = end


def decode_error(text: str) -> str | None:
    """simplejson's message for `text`, or None when the text is valid JSON to it."""
    start = 0
    if text[:1] == "\ufeff":
        start = 1
    elif text[:3] == "\xef\xbb\xbf":
        start = 3
    try:
        end = _ws(text, _document(text, _ws(text, start)))
        if end != len(text):
            raise _Fault("Extra data", end, len(text))
    except _Fault as fault:
        return _describe(text, fault)
    return None


def _describe(text: str, fault: _Fault) -> str:
    message = fault.message.replace("%r", repr(text[fault.pos : fault.pos + 1]))
    line, column = _line_column(text, fault.pos)
    if fault.end is None:
        return f"{message}: line {line} column {column} (char {fault.pos})"
    end_line, end_column = _line_column(text, fault.end)
    return (
        f"{message}: line {line} column {column} - line {end_line} column {end_column} "
        f"(char {fault.pos} - {fault.end})"
    )


def _line_column(text: str, pos: int) -> tuple[int, int]:
    line = text.count("\n", 0, pos) + 1
    column = pos + 1 if line == 1 else pos - text.rindex("\n", 0, pos)
    return line, column


def _ws(text: str, pos: int) -> int:
    match = _WS.match(text, pos)
    return match.end() if match else pos


def _document(s: str, pos: int) -> int:
    """The end of the value at `pos`; containers are walked with a stack, not recursion."""
    stack: list[str] = []  # "[" or "{" per open container
    while True:
        pos, opened = _value(s, pos)
        if opened:
            stack.append(opened)
            continue  # _value already stepped into the new container's first item
        while stack:  # after a value: a separator, or the end of enclosing containers
            kind = stack[-1]
            pos = _ws(s, pos)
            char = s[pos : pos + 1]
            closer = "]" if kind == "[" else "}"
            if char == closer:
                stack.pop()
                pos += 1
                continue
            if char != ",":
                raise _Fault(f"Expecting ',' delimiter or '{closer}'", pos)
            pos = _after_comma(s, pos, kind)
            break
        else:
            return pos


def _value(s: str, pos: int) -> tuple[int, str]:
    """Scan one value; a container is opened and its first item reached (`opened` set)."""
    char = s[pos : pos + 1]
    if char == '"':
        return _string(s, pos + 1), ""
    if char == "{":
        pos = _ws(s, pos + 1)
        char = s[pos : pos + 1]
        if char == "}":
            return pos + 1, ""
        if char != '"':
            raise _Fault("Expecting property name enclosed in double quotes or '}'", pos)
        return _member(s, pos), "{"
    if char == "[":
        pos = _ws(s, pos + 1)
        char = s[pos : pos + 1]
        if char == "]":
            return pos + 1, ""
        if not char:
            raise _Fault("Expecting value or ']'", pos)
        return pos, "["
    for literal in _LITERALS:
        if s.startswith(literal, pos):
            return pos + len(literal), ""
    number = _NUMBER.match(s, pos)
    if number is None:
        raise _Fault("Expecting value", pos)
    return number.end(), ""


def _member(s: str, pos: int) -> int:
    """Scan `"key" :` from the key's opening quote; the position of the value."""
    pos = _string(s, pos + 1)
    pos = _ws(s, pos)
    if s[pos : pos + 1] != ":":
        raise _Fault("Expecting ':' delimiter", pos)
    return _ws(s, pos + 1)


def _after_comma(s: str, comma: int, kind: str) -> int:
    pos = _ws(s, comma + 1)
    char = s[pos : pos + 1]
    if kind == "[":
        if char == "]":
            raise _Fault("Illegal trailing comma before end of array", comma)
        return pos
    if char == '"':
        return _member(s, pos)
    if char == "}":
        raise _Fault("Illegal trailing comma before end of object", comma)
    raise _Fault("Expecting property name enclosed in double quotes", pos)


def _string(s: str, pos: int) -> int:
    """From just after an opening quote to just after the closing one."""
    begin = pos - 1
    while True:
        chunk = _CHUNK.match(s, pos)
        if chunk is None:
            raise _Fault("Unterminated string starting at", begin)
        pos = chunk.end()
        terminator = chunk.group(1)
        if terminator == '"':
            return pos
        if terminator != "\\":
            raise _Fault("Invalid control character %r at", pos - 1)
        if pos >= len(s):
            raise _Fault("Unterminated string starting at", begin)
        escape = s[pos]
        if escape != "u":
            if escape not in _ESCAPES:
                raise _Fault("Invalid \\X escape sequence %r", pos)
            pos += 1
            continue
        code = _hex4(s, pos + 1, pos - 1)
        pos += 5
        if 0xD800 <= code <= 0xDBFF and s[pos : pos + 2] == "\\u":
            low = _hex4(s, pos + 2, pos)
            if 0xDC00 <= low <= 0xDFFF:
                pos += 6


def _hex4(s: str, pos: int, backslash: int) -> int:
    if _HEX4.fullmatch(s, pos, pos + 4) is None:
        raise _Fault("Invalid \\uXXXX escape sequence", backslash)
    return int(s[pos : pos + 4], 16)
