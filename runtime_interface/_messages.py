"""Typed wire messages: the invocation the API hands out, and the error a runtime posts."""

from . import _codec
from . import protocol as p


class InvocationRequest:
    """One invocation as received from `GET /invocation/next` (immutable by convention).

    `body` may be a view of the client's receive buffer: it is valid until the client's
    next request; copy it (`bytes(body)`) to keep it longer.
    """

    __slots__ = (
        "body",
        "client_context",
        "cognito_identity",
        "content_type",
        "deadline_ms",
        "invocation_id",
        "invoked_function_arn",
        "request_id",
        "tenant_id",
        "trace_id",
    )

    def __init__(self, headers: dict[str, str], body: "bytes | memoryview") -> None:
        get = headers.get
        self.request_id: str = get("lambda-runtime-aws-request-id", "")
        deadline = get("lambda-runtime-deadline-ms", "")
        self.deadline_ms: int = int(deadline) if deadline.isdigit() else 0
        self.invoked_function_arn: str | None = get("lambda-runtime-invoked-function-arn")
        self.trace_id: str | None = get("lambda-runtime-trace-id")
        self.client_context: str | None = get("lambda-runtime-client-context")
        self.cognito_identity: str | None = get("lambda-runtime-cognito-identity")
        self.tenant_id: str | None = get("lambda-runtime-aws-tenant-id")
        self.invocation_id: str | None = get("lambda-runtime-invocation-id")
        self.content_type: str = get("content-type", p.CONTENT_TYPE_JSON)
        self.body = body

    def is_json(self) -> bool:
        """True when the event is JSON (media type application/json, parameters ignored)."""
        kind = self.content_type
        return kind == p.CONTENT_TYPE_JSON or (
            kind.partition(";")[0].strip().lower() == p.CONTENT_TYPE_JSON
        )


class ErrorPayload:
    """`{"errorMessage","errorType","requestId","stackTrace"}`, as awslambdaric posts it."""

    __slots__ = ("error_message", "error_type", "request_id", "stack_trace", "xray_cause")

    def __init__(
        self,
        error_type: str,
        error_message: str,
        stack_trace: "list[str] | None" = None,
        request_id: str = "",
        xray_cause: "dict[str, object] | None" = None,
    ) -> None:
        self.error_type = error_type
        self.error_message = error_message
        self.stack_trace = stack_trace or []
        self.request_id = request_id
        self.xray_cause = xray_cause

    def to_dict(self) -> dict[str, object]:
        return {
            "errorMessage": self.error_message,
            "errorType": self.error_type,
            "requestId": self.request_id,
            "stackTrace": self.stack_trace,
        }

    def to_json(self) -> bytes:
        return _codec.dumps(self.to_dict()).encode("utf-8", "surrogatepass")

    def xray_header(self) -> "str | None":
        """The X-Ray error cause as an ASCII-safe header value, or None when too large."""
        if self.xray_cause is None:
            return None
        text = _codec.dumps_ascii(self.xray_cause)  # awslambdaric's separators
        return text if len(text) < p.MAX_XRAY_CAUSE_BYTES else None
