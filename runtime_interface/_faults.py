"""Turn exceptions into the error payload (and X-Ray cause) the Runtime API expects."""

from __future__ import annotations

import os

from ._errors import FaultError
from ._messages import ErrorPayload

_OWN_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def from_exception(exc: BaseException, request_id: str = "") -> ErrorPayload:
    """The payload for `exc`: its class name, message and trace, as awslambdaric writes them.

    The trace leaves out the client's own leading frames (awslambdaric's bootstrap.py) and
    keeps the rest, importlib's included for an error raised while importing the handler's
    module. Frames are formatted from (file, line, name, source) tuples, so Python 3.11+
    adds no `^^^^` column markers, as in the service's answers.
    """
    if isinstance(exc, FaultError):
        return from_fault(exc, request_id)
    import traceback  # error path only: traceback costs ~7 ms to import

    frames = [
        (f.filename, f.lineno, f.name, f.line) for f in traceback.extract_tb(exc.__traceback__)
    ]
    start = 0
    while start < len(frames) and frames[start][0].startswith(_OWN_DIR):
        start += 1
    user = frames[start:] if start < len(frames) else frames
    etype = type(exc).__name__
    cause = _xray_cause(etype, str(exc), [(path, line, name) for path, line, name, _ in user])
    trace = traceback.format_list(user)  # type: ignore[arg-type]
    return ErrorPayload(etype, str(exc), trace, request_id, cause)


def from_fault(fault: FaultError, request_id: str = "") -> ErrorPayload:
    """The payload of a Runtime.* fault (no Python frames, unless the fault carries some)."""
    cause = _xray_cause("LambdaValidationError", fault.message, [])
    return ErrorPayload(fault.error_type, fault.message, fault.trace, request_id, cause)


def _xray_cause(
    etype: str, message: str, frames: list[tuple[str, int | None, str]]
) -> dict[str, object]:
    stack = [{"label": name, "path": path, "line": line} for path, line, name in frames]
    return {
        "working_directory": os.getcwd(),
        "exceptions": [{"message": message, "type": etype, "stack": stack}],
        "paths": sorted({path for path, _, _ in frames}),
    }
