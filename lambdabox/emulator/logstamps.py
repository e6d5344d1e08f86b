"""Docker's log timestamps (`docker logs --timestamps`): RFC 3339 UTC with nanoseconds at
the start of each message, e.g. `2026-12-03T10:42:16.898714654Z `, read as epoch seconds."""

from __future__ import annotations

import calendar
import time

_STAMP_LENGTH = 30  # 2026-12-03T10:42:16.898714654Z (Docker always writes 9 digits)
_minutes: dict[bytes, int] = {}  # "2026-12-03T10:42" -> its epoch second (a few per run)


def parse_stamp(stamp: bytes) -> float | None:
    """Epoch seconds of a Docker timestamp, or None when `stamp` is not one."""
    if len(stamp) < 20 or stamp[10:11] != b"T" or not stamp.endswith(b"Z"):
        return None
    minute = stamp[:16]
    base = _minutes.get(minute)
    try:
        if base is None:
            base = calendar.timegm(time.strptime(minute.decode("ascii"), "%Y-%m-%dT%H:%M"))
            if len(_minutes) > 64:
                _minutes.clear()
            _minutes[minute] = base
        return base + float(stamp[17:-1])
    except ValueError:
        return None


def split_stamp(message: bytes) -> tuple[float | None, bytes]:
    """(written_at, rest) of a stamped message; (None, message) when it carries no stamp."""
    head, space, rest = message.partition(b" ")
    if space and len(head) <= _STAMP_LENGTH + 2:
        at = parse_stamp(head)
        if at is not None:
            return at, rest
    return None, message
