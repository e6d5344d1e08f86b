"""The builder's exceptions: one hierarchy, messages that name the file or digest and the fix.

BuilderError
├── UnsafePathError   a path, symlink or archive member would land outside its tree, or twice
├── DigestError       a malformed "algorithm:hex" digest string (also a ValueError)
├── ValidationError   an image or layout breaks the spec; `problems` lists every one found
├── LayoutError       an OCI image layout cannot be read or written (missing blob, bad index)
└── CacheError        the layer cache directory cannot be used
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "BuilderError",
    "CacheError",
    "DigestError",
    "LayoutError",
    "UnsafePathError",
    "ValidationError",
]


class BuilderError(Exception):
    """Base class of every error raised by the builder."""


class UnsafePathError(BuilderError):
    """An entry cannot go into a layer as it is: `path` names it, `reason` says why."""

    def __init__(self, path: str, reason: str, fix: str = "") -> None:
        self.path = path
        self.reason = reason
        self.fix = fix
        super().__init__(f"{path}: {reason}" + (f". {fix}" if fix else ""))


class DigestError(BuilderError, ValueError):
    """A digest string is not `sha256:<64 lowercase hex>` (or `sha512:<128 hex>`)."""


class ValidationError(BuilderError):
    """An image or layout breaks the spec; the message lists every problem found."""

    def __init__(self, subject: str, problems: Sequence[str]) -> None:
        self.subject = subject
        self.problems = list(problems)
        listed = "\n".join(f"  - {problem}" for problem in self.problems)
        super().__init__(
            f"{subject} is not a valid image ({len(self.problems)} problems):\n{listed}"
        )


class LayoutError(BuilderError):
    """An OCI image layout cannot be read or written; the message names the file."""


class CacheError(BuilderError):
    """The layer cache cannot be used; the message names the directory and the fix."""
