"""What one invocation gave back, typed: payload, function error, logs and REPORT figures."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import requests


def _report_fields(logs: list[str], request_id: str) -> dict[str, str]:
    prefix = f"REPORT RequestId: {request_id}"
    for line in reversed(logs):
        if line.startswith(prefix):
            return dict(part.split(": ", 1) for part in line.split("\t")[1:] if ": " in part)
    return {}


def _number(fields: dict[str, str], name: str) -> float | None:
    value = fields.get(name)
    return float(value.split()[0]) if value else None


@dataclass(frozen=True)
class InvocationResult:
    """One answer of the Invoke API, with the invocation's own log."""

    status: int
    raw: bytes
    content_type: str
    request_id: str
    function_error: str | None
    logs: list[str]

    @classmethod
    def from_response(cls, resp: requests.Response, logs: list[str]) -> InvocationResult:
        """The Invoke API's answer `resp` (status, body, headers), with the invocation's log."""
        return cls(
            status=resp.status_code,
            raw=resp.content,
            content_type=resp.headers.get("Content-Type", ""),
            request_id=resp.headers.get("x-amzn-RequestId", ""),
            function_error=resp.headers.get("X-Amz-Function-Error"),
            logs=logs,
        )

    @property
    def payload(self) -> Any:
        """The result: parsed JSON, or the raw bytes when it is not JSON."""
        if self.content_type.split(";")[0].strip() == "application/json":
            try:
                return json.loads(self.raw)
            except ValueError:
                return self.raw
        return self.raw

    @property
    def error(self) -> dict[str, Any] | None:
        """The error document when the function failed (X-Amz-Function-Error)."""
        if not self.function_error:
            return None
        payload = self.payload
        return payload if isinstance(payload, dict) else {"errorMessage": str(payload)}

    @property
    def error_type(self) -> str | None:
        error = self.error
        return None if error is None else str(error.get("errorType", "")) or None

    @property
    def error_message(self) -> str | None:
        error = self.error
        return None if error is None else str(error.get("errorMessage", ""))

    @property
    def ok(self) -> bool:
        return self.status == 200 and not self.function_error

    @property
    def report(self) -> dict[str, str]:
        return _report_fields(self.logs, self.request_id)

    @property
    def duration_ms(self) -> float | None:
        return _number(self.report, "Duration")

    @property
    def billed_duration_ms(self) -> float | None:
        return _number(self.report, "Billed Duration")

    @property
    def memory_size_mb(self) -> float | None:
        return _number(self.report, "Memory Size")

    @property
    def max_memory_mb(self) -> float | None:
        return _number(self.report, "Max Memory Used")

    @property
    def init_duration_ms(self) -> float | None:
        """Set on a cold start only."""
        return _number(self.report, "Init Duration")

    @property
    def output(self) -> list[str]:
        """The function's own lines (without START/END/REPORT)."""
        marks = ("START RequestId: ", "END RequestId: ", "REPORT RequestId: ")
        return [line for line in self.logs if not line.startswith(marks)]
