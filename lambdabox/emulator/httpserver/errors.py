"""Client faults raised while reading a request, and the JSON error bodies answering them."""

from __future__ import annotations

import json

from lambdabox.emulator.httpserver.parsing import REASONS

_ERROR_TYPES = {400: "BadRequest", 413: "RequestEntityTooLargeException", 500: "ServiceException"}


class HTTPError(Exception):
    """A client fault found while reading a request.

    Raised by :class:`Request` methods.  When it escapes the handler and no
    response has been sent yet, the server answers with :attr:`status` and a
    JSON body ``{"errorType": error_type, "errorMessage": message}``.
    """

    status: int
    message: str
    error_type: str

    def __init__(self, status: int, message: str, error_type: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_type = default_error_type(status) if error_type is None else error_type


class BodyTooLarge(HTTPError):
    """The request body exceeds the limit given to :meth:`Request.body` (status 413)."""

    def __init__(self, message: str = "request body too large") -> None:
        super().__init__(413, message)


def default_error_type(status: int) -> str:
    """The default ``errorType`` for a status: ``"BadRequest"``, ``"NotFound"``, ..."""
    return _ERROR_TYPES.get(status) or REASONS.get(status, "Error").replace(" ", "").replace(
        "-", ""
    )


def error_body(error_type: str, message: str) -> bytes:
    """The JSON body of an error response."""
    return json.dumps({"errorType": error_type, "errorMessage": message}).encode("utf-8")
