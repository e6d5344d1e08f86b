"""The context object handed to handlers, field-for-field as awslambdaric builds it."""

import time

from . import _codec
from . import protocol as p
from ._errors import FaultError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from ._messages import InvocationRequest

W3C_FIELDS = ("traceparent", "tracestate", "baggage")


class FunctionSettings:
    """Per-environment values read once from the environment at start."""

    __slots__ = (
        "function_name",
        "function_version",
        "log_group_name",
        "log_stream_name",
        "memory_limit_in_mb",
    )

    def __init__(self, environ: dict[str, str]) -> None:
        self.function_name = environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.memory_limit_in_mb = environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.log_group_name = environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = environ.get("AWS_LAMBDA_LOG_STREAM_NAME")


class CognitoIdentity:
    __slots__ = ("cognito_identity_id", "cognito_identity_pool_id")

    def __init__(self, identity_id: "str | None" = None, pool_id: "str | None" = None) -> None:
        self.cognito_identity_id = identity_id
        self.cognito_identity_pool_id = pool_id

    def __repr__(self) -> str:
        return (
            f"CognitoIdentity([cognito_identity_id={self.cognito_identity_id},"
            f"cognito_identity_pool_id={self.cognito_identity_pool_id}])"
        )


class Client:
    __slots__ = (
        "app_package_name",
        "app_title",
        "app_version_code",
        "app_version_name",
        "installation_id",
    )

    def __init__(self, fields: "dict[str, Any]") -> None:
        self.installation_id = fields.get("installation_id")
        self.app_title = fields.get("app_title")
        self.app_version_name = fields.get("app_version_name")
        self.app_version_code = fields.get("app_version_code")
        self.app_package_name = fields.get("app_package_name")

    def __repr__(self) -> str:
        return (
            f"Client([installation_id={self.installation_id},app_title={self.app_title},"
            f"app_version_name={self.app_version_name},"
            f"app_version_code={self.app_version_code},"
            f"app_package_name={self.app_package_name}])"
        )


class ClientContext:
    __slots__ = ("client", "custom", "env")

    def __init__(self, fields: "dict[str, Any]") -> None:
        self.custom = fields.get("custom")
        self.env = fields.get("env")
        client = fields.get("client")
        self.client = Client(client) if isinstance(client, dict) else None

    def __repr__(self) -> str:
        return f"ClientContext([custom={self.custom},env={self.env},client={self.client}])"


class LambdaContext:
    """What the handler receives as its second argument."""

    def __init__(
        self,
        invocation: "InvocationRequest",
        settings: "FunctionSettings",
        log: "Callable[[str], None]",
    ) -> None:
        self.aws_request_id = invocation.request_id
        self.log_group_name = settings.log_group_name
        self.log_stream_name = settings.log_stream_name
        self.function_name = settings.function_name
        self.memory_limit_in_mb = settings.memory_limit_in_mb
        self.function_version = settings.function_version
        self.invoked_function_arn = invocation.invoked_function_arn
        self.tenant_id = invocation.tenant_id
        self._deadline_ms = invocation.deadline_ms
        self._log = log
        self._w3c: dict[str, str] = {}
        self.client_context: ClientContext | None = None
        if invocation.client_context:
            fields = _parse_header(invocation.client_context, "Client Context")
            if isinstance(fields, dict):
                self._w3c = _pop_w3c(fields)
                self.client_context = ClientContext(fields)
        self.identity = CognitoIdentity()
        if invocation.cognito_identity:
            ident = _parse_header(invocation.cognito_identity, "Cognito Identity")
            if isinstance(ident, dict):
                self.identity = CognitoIdentity(
                    ident.get("cognitoIdentityId"), ident.get("cognitoIdentityPoolId")
                )

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the invocation's deadline, never negative."""
        delta = self._deadline_ms - int(time.time() * 1000)
        return delta if delta > 0 else 0

    def log(self, msg: object) -> None:
        """Write `msg` to the function's log as is (no newline added)."""
        self._log(str(msg))

    def w3c(self) -> dict[str, str]:
        """The W3C trace context (traceparent, tracestate, baggage) sent in the client context."""
        return dict(self._w3c)

    def __repr__(self) -> str:
        return (
            f"LambdaContext([aws_request_id={self.aws_request_id},"
            f"log_group_name={self.log_group_name},log_stream_name={self.log_stream_name},"
            f"function_name={self.function_name},memory_limit_in_mb={self.memory_limit_in_mb},"
            f"function_version={self.function_version},"
            f"invoked_function_arn={self.invoked_function_arn},"
            f"client_context={self.client_context},identity={self.identity},"
            f"tenant_id={self.tenant_id}])"
        )


def _parse_header(value: str, name: str) -> "Any":
    try:
        return _codec.loads_header(value)
    except Exception as exc:
        raise FaultError(p.CONTEXT_UNMARSHAL_ERROR, f"Unable to parse {name} JSON: {exc}") from None


def _pop_w3c(fields: "dict[str, Any]") -> dict[str, str]:
    raw = fields.pop("w3c", None)
    if not isinstance(raw, dict):
        return {}
    return {k: v for k in W3C_FIELDS if isinstance(v := raw.get(k), str)}
