"""Wire-level constants of the Runtime API test server and its prebuilt responses.

Endpoint paths (API version ``2018-06-01``), size limits, defaults, the
lower-case header names the server reads, and the constant HTTP responses
(built once as bytes) together with the helpers that build the variable ones.
"""

from __future__ import annotations

import json
import re
from typing import Final

from lambdabox.testing import _http

API_PREFIX: Final = "/2018-06-01"
NEXT_PATH: Final = API_PREFIX + "/runtime/invocation/next"
INVOCATION_PREFIX: Final = API_PREFIX + "/runtime/invocation/"
INIT_ERROR_PATH: Final = API_PREFIX + "/runtime/init/error"
RESTORE_NEXT_PATH: Final = API_PREFIX + "/runtime/restore/next"
RESTORE_ERROR_PATH: Final = API_PREFIX + "/runtime/restore/error"

MAX_RESPONSE_BYTES: Final = 6 * 1024 * 1024 + 100
MAX_STREAMING_RESPONSE_BYTES: Final = 20 * 1024 * 1024
DEFAULT_FUNCTION_ARN: Final = "arn:aws:lambda:us-east-1:012345678912:function:test_function"
DEFAULT_TIMEOUT_MS: Final = 300_000

H_REQUEST_ID: Final = "lambda-runtime-aws-request-id"
H_INVOCATION_ID: Final = "lambda-runtime-invocation-id"
H_RESPONSE_MODE: Final = "lambda-runtime-function-response-mode"
H_ERROR_TYPE: Final = "lambda-runtime-function-error-type"
H_ERROR_BODY: Final = "lambda-runtime-function-error-body"
H_XRAY_CAUSE: Final = "lambda-runtime-function-xray-error-cause"

ERROR_TYPE_PATTERN: Final = re.compile(r"[A-Za-z]+\.[A-Za-z][A-Za-z0-9]*\Z")
"""The ``Category.Name`` form AWS recommends; opt in via ``error_type_pattern``."""


def _error_json(error_type: str, message: str) -> bytes:
    return json.dumps({"errorMessage": message, "errorType": error_type}).encode()


def error_response(status: int, error_type: str, message: str, *, close: bool = False) -> bytes:
    return _http.response(status, _error_json(error_type, message), close=close)


ACCEPTED: Final = _http.response(202, b'{"status":"OK"}')
RESTORE_OK: Final = _http.response(200, content_type=None)
INVALID_REQUEST_ID: Final = error_response(400, "InvalidRequestID", "Invalid request ID")
INVALID_MODE: Final = error_response(
    400, "InvalidFunctionResponseMode", "Invalid function response mode"
)
STOPPING: Final = error_response(
    500, "ServerStopping", "The Runtime API server is stopping", close=True
)


def too_large(limit: int) -> bytes:
    return error_response(
        413,
        "RequestEntityTooLarge",
        f"Exceeded maximum allowed payload size ({limit} bytes).",
    )


def invalid_transition(current: str, target: str) -> bytes:
    return error_response(
        403,
        "InvalidStateTransition",
        f"State transition from {current} to {target} failed for runtime. "
        "Error: State transition is not allowed",
    )
