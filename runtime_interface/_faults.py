"""Turn exceptions into the error payload (and X-Ray cause) the Runtime API expects."""

from __future__ import annotations

import os

from ._errors import FaultError
from ._messages import ErrorPayload

_OWN_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def _is_runtime_frame(filename: str) -> bool:
    return (
        filename.startswith(_OWN_DIR)
        or filename.startswith("<frozen importlib")
        or filename.endswith(os.sep + "importlib" + os.sep + "__init__.py")
    )


def from_exception(exc: BaseException, request_id: str = "") -> ErrorPayload:
    """The payload for `exc`: its class name and message, and the user's frames only."""
    if isinstance(exc, FaultError):
        return from_fault(exc, request_id)
    import traceback  # error path only: traceback costs ~7 ms to import

    frames = traceback.extract_tb(exc.__traceback__)
    start = 0
    while start < len(frames) and _is_runtime_frame(frames[start].filename):
        start += 1
    user = frames[start:] if start < len(frames) else frames
    etype = type(exc).__name__
    cause = _xray_cause(etype, str(exc), [(f.filename, f.lineno, f.name) for f in user])
    return ErrorPayload(etype, str(exc), traceback.format_list(user), request_id, cause)


def from_fault(fault: FaultError, request_id: str = "") -> ErrorPayload:
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
