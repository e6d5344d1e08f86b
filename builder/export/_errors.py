"""The exporters' error: which tool, how it was called, how it ended, and what to do."""

from __future__ import annotations

from collections.abc import Sequence

from ..oci.errors import BuilderError

__all__ = ["ExportError"]


class ExportError(BuilderError):
    """`tool` run as `argv` failed with `returncode` (None: it did not start); `stderr_tail`."""

    def __init__(
        self,
        tool: str,
        argv: Sequence[str],
        returncode: int | None,
        stderr_tail: str,
        fix: str = "",
    ) -> None:
        self.tool = tool
        self.argv = list(argv)
        self.returncode = returncode
        self.stderr_tail = stderr_tail
        self.fix = fix
        status = "could not start" if returncode is None else f"failed (exit status {returncode})"
        message = f"{tool} {status}: {' '.join(self.argv)}"
        if stderr_tail:
            message += f"\n{stderr_tail}"
        if fix:
            message += f"\n{fix}"
        super().__init__(message)


def tail(text: str, lines: int = 10) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])
