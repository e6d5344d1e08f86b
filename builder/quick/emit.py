"""Writing the fast build's layout, and its --json summary, without `json` or `tempfile`.

Blobs, then index.json, each to a temp name in its own folder, fsynced and renamed, as
`builder.oci.layout.write_layout` does: a killed build leaves the previous layout whole.
A blob already present at its size is kept. Templates are tuples of bytes and slot names
(`capture` makes them); `fill` puts the slot values in.
"""

from __future__ import annotations

import os

from .digests import sha256

__all__ = ["dumps", "fill", "fsync_folder", "put_blob", "write_atomic"]

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\b": "\\b",
    "\f": "\\f",
}


def fill(template: Sequence[bytes | str], values: Mapping[str, bytes]) -> bytes:
    """The template's bytes with each slot (a str) replaced by its value."""
    return b"".join(part if isinstance(part, bytes) else values[part] for part in template)


def temp_name(folder: str) -> str:
    return os.path.join(folder, f".tmp-quick-{os.getpid()}")


def write_atomic(target: str, data: bytes) -> None:
    """Replace `target` with `data` (temp file in its folder, fsync, rename)."""
    temp = temp_name(os.path.dirname(target))
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        os.unlink(temp)
        raise
    os.close(fd)
    os.replace(temp, target)


def put_blob(blobs: str, data: bytes) -> tuple[str, int]:
    """Write `data` as a blob of the folder `blobs` unless present; its (hex, size)."""
    digest = sha256(data).hexdigest()
    target = os.path.join(blobs, digest)
    try:
        if os.stat(target).st_size == len(data):
            return digest, len(data)
    except FileNotFoundError:
        pass
    write_atomic(target, data)
    return digest, len(data)


def fsync_folder(folder: str) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _string(text: str) -> str:
    out = ['"']
    for char in text:
        escaped = _ESCAPES.get(char)
        if escaped is not None:
            out.append(escaped)
        elif " " <= char <= "~":
            out.append(char)
        elif ord(char) > 0xFFFF:
            code = ord(char) - 0x10000
            out.append(f"\\u{0xD800 | (code >> 10):04x}\\u{0xDC00 | (code & 0x3FF):04x}")
        else:
            out.append(f"\\u{ord(char):04x}")
    out.append('"')
    return "".join(out)


def dumps(value: object, indent: int | None = 2, level: int = 0) -> str:
    """`json.dumps(value, indent=indent)` for str, int, float, bool, None, list and dict."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, dict):
        items = [f"{_string(str(k))}: {dumps(v, indent, level + 1)}" for k, v in value.items()]
        return _wrap("{", "}", items, indent, level)
    if isinstance(value, (list, tuple)):
        return _wrap("[", "]", [dumps(v, indent, level + 1) for v in value], indent, level)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def _wrap(open_: str, close: str, items: list[str], indent: int | None, level: int) -> str:
    if not items:
        return open_ + close
    if indent is None:
        return open_ + ", ".join(items) + close
    inner = "\n" + " " * (indent * (level + 1))
    return open_ + inner + ("," + inner).join(items) + "\n" + " " * (indent * level) + close
