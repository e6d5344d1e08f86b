"""Strict, allocation-light parsing of HTTP/1.1 request heads and field sections.

Everything works on ``bytes`` with ``find``/``partition``/``translate`` (no
regular expressions): the request line, header and trailer sections, and
``Content-Length`` values (chunked bodies: :mod:`.chunked`).  Errors are reported
as :class:`ParseError` carrying the status to answer with; the connection is
closed after such an answer.
"""

from __future__ import annotations

from http import HTTPStatus

MAX_HEAD = 65536
"""Longest accepted request line + header section (including the empty line)."""
MAX_CONTENT_LENGTH_DIGITS = 18

TCHAR = b"!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
"""RFC 9110 token characters (header names, methods)."""
_LINE_OK = bytes(range(0x20, 0x7F))
"""Bytes allowed in a request line: SP and visible ASCII (a URI has no raw non-ASCII byte)."""
_FIELDS_OK = bytes(b for b in range(256) if (b >= 0x20 and b != 0x7F) or b in b"\t\r\n")
"""Bytes allowed in a field section (CR and LF are checked to form CRLF pairs)."""

_METHODS: dict[bytes, str] = {
    m.encode("ascii"): m
    for m in ("GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "TRACE", "CONNECT")
}
_NAMES: dict[bytes, str] = {}
"""Validated raw field name -> lower-case ``str`` (bounded cache)."""
_NAMES_MAX = 1024

REASONS: dict[int, str] = {int(s): s.phrase for s in HTTPStatus}


class ParseError(Exception):
    """The peer sent something that is not valid HTTP/1.1; answer ``status`` and close."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def parse_request_line(line: bytes) -> tuple[str, str, bool]:
    """Return ``(method, target, is_http11)`` from a request line without its CRLF."""
    if line.count(b" ") != 2 or line.translate(None, _LINE_OK):
        raise ParseError(400, "malformed request line")
    method_b, target_b, version = line.split(b" ")
    method = _METHODS.get(method_b)
    if method is None:
        if not method_b or method_b.translate(None, TCHAR):
            raise ParseError(400, "malformed request method")
        raise ParseError(501, f"request method {method_b.decode('ascii')!r} not implemented")
    if not target_b:
        raise ParseError(400, "empty request target")
    if version == b"HTTP/1.1":
        http11 = True
    elif version == b"HTTP/1.0":
        http11 = False
    elif (
        len(version) == 8
        and version.startswith(b"HTTP/")
        and version[5:6].isdigit()
        and version[6:7] == b"."
        and version[7:8].isdigit()
    ):
        raise ParseError(505, "HTTP version not supported")
    else:
        raise ParseError(400, "malformed HTTP version")
    return method, target_b.decode("latin-1"), http11


def parse_fields(block: bytes) -> dict[str, str]:
    """Parse a header or trailer section (field lines joined by CRLF, no final CRLF).

    Names are lower-cased; values have surrounding SP/HTAB removed; repeated
    fields are joined with ``", "``.  Obsolete line folding, whitespace before
    the colon, bare CR or LF and control characters are rejected.
    """
    fields: dict[str, str] = {}
    if not block:
        return fields
    lines = block.split(b"\r\n")
    separators = len(lines) - 1
    if (
        block.count(b"\r") != separators
        or block.count(b"\n") != separators
        or block.translate(None, _FIELDS_OK)
    ):
        raise ParseError(400, "invalid character in header section")
    names = _NAMES
    for line in lines:
        name, colon, value = line.partition(b":")
        if not colon:
            raise ParseError(400, "malformed header field")
        key = names.get(name)
        if key is None:
            if not name or name.translate(None, TCHAR):
                raise ParseError(400, "malformed header field name")
            key = name.decode("ascii").lower()
            if len(names) < _NAMES_MAX:
                names[name] = key
        text = value.strip(b" \t").decode("latin-1")
        previous = fields.get(key)
        fields[key] = text if previous is None else f"{previous}, {text}"
    return fields


def field_list(block: bytes) -> list[tuple[str, str]]:
    """The fields of a header section already validated by :func:`parse_fields`, one pair per
    field line, names as sent (not lower-cased) and values stripped, in order."""
    fields: list[tuple[str, str]] = []
    for line in block.split(b"\r\n") if block else ():
        name, _, value = line.partition(b":")
        fields.append((name.decode("ascii"), value.strip(b" \t").decode("latin-1")))
    return fields


def parse_content_length(value: str) -> int:
    """Validate a Content-Length field value: digits only, one field.

    Repeats and lists (``5, 5``), which RFC 9110 lets a recipient accept when
    identical, are refused like llhttp refuses them: a proxy in front may frame
    them differently.
    """
    if not (value.isdigit() and value.isascii()):
        raise ParseError(400, "invalid Content-Length")
    if len(value) > MAX_CONTENT_LENGTH_DIGITS:
        raise ParseError(400, "Content-Length too large")
    return int(value)


def has_token(value: str, token: str) -> bool:
    """Whether a comma-separated list field (e.g. Connection) holds ``token``."""
    return any(part.strip(" \t") == token for part in value.lower().split(","))
