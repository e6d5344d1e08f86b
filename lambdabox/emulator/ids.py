"""Random identifiers (request ids, trace ids) straight from `os.urandom`.

`uuid` and `secrets` cost the emulator's start-up more than the ids themselves (they
pull in `platform`, `hashlib`, `hmac` and `random`); these give the same strings.
"""

from __future__ import annotations

import os


def uuid4() -> str:
    """A random (version 4, RFC 4122 variant) UUID as `str(uuid.uuid4())` prints it."""
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40  # version 4
    raw[8] = (raw[8] & 0x3F) | 0x80  # variant RFC 4122
    text = raw.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def token_hex(nbytes: int) -> str:
    """`nbytes` random bytes as lowercase hex, like `secrets.token_hex`."""
    return os.urandom(nbytes).hex()
