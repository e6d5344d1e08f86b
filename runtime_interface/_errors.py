"""The runtime interface client's exceptions.

RuntimeInterfaceError
├── FaultError          a Runtime.* fault reported to the API (bad handler, marshalling)
└── RuntimeAPIError     the Runtime API answered with an unexpected status, or went away
"""


class RuntimeInterfaceError(Exception):
    """Base class of every error raised by runtime_interface."""


class FaultError(RuntimeInterfaceError):
    """A fault with an AWS error type, e.g. Runtime.HandlerNotFound.

    `trace` replaces the Python stack trace in the reported error when given.
    """

    def __init__(self, error_type: str, message: str, trace: "list[str] | None" = None) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.trace = trace


class RuntimeAPIError(RuntimeInterfaceError):
    """A Runtime API call failed: names the method, URL, status and body."""

    def __init__(self, method: str, url: str, status: "int | None", body: bytes = b"") -> None:
        self.method = method
        self.url = url
        self.status = status
        self.body = body
        what = f"got HTTP {status}" if status is not None else "no answer"
        detail = body[:200].decode("utf-8", "replace")
        super().__init__(
            f"{method} {url}: {what}{': ' + detail if detail else ''}. "
            "Check that AWS_LAMBDA_RUNTIME_API points at a running Runtime API."
        )
