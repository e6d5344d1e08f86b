"""Configuration, read once from the environment and argv at start."""

from ._context import FunctionSettings
from ._logging import LogConfig

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence


class ConfigError(ValueError):
    """The runtime cannot start with the given environment or arguments."""


class Config:
    """Everything the client reads from its environment, parsed in one place."""

    __slots__ = (
        "api_address",
        "handler",
        "init_type",
        "log",
        "log_socket",
        "max_concurrency",
        "settings",
    )

    def __init__(
        self,
        handler: str,
        api_address: str,
        log: "LogConfig",
        settings: "FunctionSettings",
        max_concurrency: int = 0,
        init_type: str = "",
        log_socket: str = "",
    ) -> None:
        self.handler = handler
        self.api_address = api_address
        self.log = log
        self.settings = settings
        self.max_concurrency = max_concurrency
        self.init_type = init_type
        self.log_socket = log_socket

    @classmethod
    def from_environ(cls, environ: "Mapping[str, str]", argv: "Sequence[str]") -> "Config":
        handler = argv[1] if len(argv) > 1 else environ.get("_HANDLER", "")
        if not handler:
            raise ConfigError(
                "no handler given: pass it as the first argument "
                "(python -m runtime_interface app.handler) or set _HANDLER"
            )
        api = environ.get("AWS_LAMBDA_RUNTIME_API", "")
        if not api:
            raise ConfigError(
                "AWS_LAMBDA_RUNTIME_API is not set: run under the Lambda service or an "
                "emulator (lambdabox emulate), or set it to HOST:PORT"
            )
        raw = environ.get("AWS_LAMBDA_MAX_CONCURRENCY", "")
        if raw and not (raw.isdigit() and int(raw) >= 1):
            raise ConfigError(f"AWS_LAMBDA_MAX_CONCURRENCY must be a positive integer, not {raw!r}")
        return cls(
            handler=handler,
            api_address=api,
            log=LogConfig(
                environ.get("AWS_LAMBDA_LOG_FORMAT"), environ.get("AWS_LAMBDA_LOG_LEVEL")
            ),
            settings=FunctionSettings(dict(environ)),
            max_concurrency=int(raw) if raw else 0,
            init_type=environ.get("AWS_LAMBDA_INITIALIZATION_TYPE", ""),
            log_socket=environ.get("_LAMBDA_TELEMETRY_LOG_FD_PROVIDER_SOCKET", ""),
        )
