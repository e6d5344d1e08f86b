"""The service's asynchronous invocation records and dead-letter messages, byte for byte.

Invocation record (OnSuccess/OnFailure destinations), as the Lambda developer guide shows it:
`{"version": "1.0", "timestamp", "requestContext": {requestId, functionArn (with the
executed version), condition ("Success", "RetriesExhausted", "EventAgeExceeded"),
approximateInvokeCount}, "requestPayload", "responseContext": {statusCode,
executedVersion, functionError (failures only)}, "responsePayload"}`. A dead-letter message
is the event unchanged, with attributes RequestID (String), ErrorCode (Number, a 3-digit
HTTP code) and ErrorMessage (String, at most 1 KB).

Not documented, and chosen here: an event that never ran (too old before its first
attempt) has no `responseContext`/`responsePayload`; a payload that is not JSON is
embedded as a string.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from lambdabox.emulator.asyncinvoke.ports import MessageAttribute

ERROR_MESSAGE_LIMIT = 1024


def _json_or_text(body: bytes | None) -> Any:
    """A payload as the record embeds it: its JSON value, else its text."""
    if body is None:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return body.decode("utf-8", "replace")


def timestamp(moment: float) -> str:
    """`2019-11-14T18:16:05.568Z`."""
    from datetime import UTC, datetime  # here: not on the way to a cold start's first answer

    when = datetime.fromtimestamp(moment, UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


@dataclass(frozen=True)
class InvocationRecord:
    """What a destination receives about one asynchronous invocation."""

    request_id: str
    function_arn: str  # qualified with the executed version
    condition: str
    invoke_count: int
    request_payload: bytes
    executed_version: str
    response_payload: bytes | None  # None: the function never answered
    function_error: bool
    moment: float

    def to_bytes(self) -> bytes:
        """The record as the service sends it (JSON, UTF-8)."""
        record: dict[str, Any] = {
            "version": "1.0",
            "timestamp": timestamp(self.moment),
            "requestContext": {
                "requestId": self.request_id,
                "functionArn": self.function_arn,
                "condition": self.condition,
                "approximateInvokeCount": self.invoke_count,
            },
            "requestPayload": _json_or_text(self.request_payload),
        }
        if self.invoke_count > 0:
            context: dict[str, Any] = {"statusCode": 200, "executedVersion": self.executed_version}
            if self.function_error:
                context["functionError"] = "Unhandled"
            record["responseContext"] = context
            record["responsePayload"] = _json_or_text(self.response_payload)
        return json.dumps(record, ensure_ascii=False).encode()


def error_message(response: bytes | None) -> str:
    """The error message of a function error response (the whole text when not JSON)."""
    value = _json_or_text(response)
    if isinstance(value, dict) and "errorMessage" in value:
        return str(value["errorMessage"])
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value)


def dead_letter_attributes(
    request_id: str, response: bytes | None, status_code: int = 200
) -> dict[str, MessageAttribute]:
    """The message attributes of a dead-letter message."""
    message = error_message(response).encode()[:ERROR_MESSAGE_LIMIT].decode("utf-8", "ignore")
    return {
        "RequestID": MessageAttribute("String", request_id),
        "ErrorCode": MessageAttribute("Number", str(status_code)),
        "ErrorMessage": MessageAttribute("String", message),
    }
