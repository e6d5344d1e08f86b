"""Checks of posted error details; each problem found is a protocol violation.

The Lambda service accepts these posts; a correct client sends well-formed
error types, JSON error bodies and JSON X-Ray causes, and, in streamed
responses, base64-of-JSON error-body trailers.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from typing import Final

from lambdabox.testing._runtime_api.protocol import H_ERROR_BODY, H_ERROR_TYPE, H_XRAY_CAUSE

_ERROR_BODY_NAME: Final = "Lambda-Runtime-Function-Error-Body"
_ERROR_TYPE_NAME: Final = "Lambda-Runtime-Function-Error-Type"


def _check_error_type(value: str | None, where: str, pattern: re.Pattern[str] | None) -> str | None:
    if not value:
        return f"missing {where}"
    if pattern is not None and pattern.match(value) is None:
        return f"{where} {value!r} does not match {pattern.pattern!r} (Category.Name)"
    return None


def _not_json(data: bytes | str) -> bool:
    try:
        json.loads(data)
    except ValueError:
        return True
    return False


def check_error_post(
    headers: Mapping[str, str], body: bytes, pattern: re.Pattern[str] | None
) -> list[str]:
    problems: list[str] = []
    problem = _check_error_type(headers.get(H_ERROR_TYPE), _ERROR_TYPE_NAME, pattern)
    if problem is not None:
        problems.append(problem)
    cause = headers.get(H_XRAY_CAUSE)
    if cause is not None and _not_json(cause):
        problems.append(f"Lambda-Runtime-Function-XRay-Error-Cause is not JSON: {cause[:200]!r}")
    if body and _not_json(body):
        problems.append(f"error body is not JSON: {body[:200]!r}")
    return problems


def check_trailers(trailers: Mapping[str, str], pattern: re.Pattern[str] | None) -> list[str]:
    problems: list[str] = []
    error_type = trailers.get(H_ERROR_TYPE)
    error_body = trailers.get(H_ERROR_BODY)
    if error_type is not None or error_body is not None:
        problem = _check_error_type(error_type, f"trailer {_ERROR_TYPE_NAME}", pattern)
        if problem is not None:
            problems.append(problem)
    if error_body is not None:
        try:
            decoded = base64.b64decode(error_body, validate=True)
        except (binascii.Error, ValueError):
            problems.append(f"trailer {_ERROR_BODY_NAME} is not base64: {error_body[:200]!r}")
        else:
            if _not_json(decoded):
                problems.append(
                    f"trailer {_ERROR_BODY_NAME} is not base64 of JSON: {decoded[:200]!r}"
                )
    return problems
