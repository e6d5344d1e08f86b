"""sha256 without `hashlib`'s import cost (it loads OpenSSL): the interpreter's own module."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hashlib import sha256
else:
    try:  # Python 3.11
        from _sha256 import sha256
    except ImportError:  # 3.12+ merged the sha2 modules
        try:
            from _sha2 import sha256
        except ImportError:
            from hashlib import sha256

__all__ = ["file_sha256", "sha256"]


def file_sha256(path: str) -> str:
    """The sha256 hex of a (small) file's bytes; OSError if it cannot be read."""
    with open(path, "rb", buffering=0) as file:
        return sha256(file.read()).hexdigest()
