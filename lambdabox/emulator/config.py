"""Emulator settings, read once from the command line and the environment."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lambdabox.emulator.asyncinvoke.ports import DestinationSink
    from lambdabox.emulator.driver import Driver

DEFAULT_TIMEOUT_S = 300
DEFAULT_MEMORY_MB = 3008
INIT_TIMEOUT_S = 10.0
BOOTSTRAP_CANDIDATES = ("/var/task/bootstrap", "/opt/bootstrap", "/var/runtime/bootstrap")


class ConfigError(ValueError):
    """A setting is malformed; the message names the setting and the fix."""


@dataclass(frozen=True)
class EventInvokeConfig:
    """How Event (asynchronous) invocations of a function are handled: the service's
    `EventInvokeConfig` and `DeadLetterConfig`. Destinations are ARNs (a function, a queue)."""

    maximum_retry_attempts: int = 2  # 0-2
    maximum_event_age_s: int = 21600  # 60-21600
    on_success: str | None = None
    on_failure: str | None = None
    dead_letter: str | None = None  # DeadLetterConfig.TargetArn


@dataclass(frozen=True)
class FunctionConfig:
    """What the function looks like to the runtime: name, version, limits, identity."""

    name: str = "test_function"
    version: str = "$LATEST"
    memory_mb: int = DEFAULT_MEMORY_MB
    timeout_s: float = DEFAULT_TIMEOUT_S
    region: str = "us-east-1"
    account_id: str = "012345678912"
    log_group: str = ""
    log_stream: str = ""
    """Empty: each new environment gets its own name, as on the service (`log_stream_name`)."""
    asynchronous: EventInvokeConfig = field(default_factory=EventInvokeConfig)

    @property
    def arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account_id}:function:{self.name}"

    @property
    def log_group_name(self) -> str:
        return self.log_group or f"/aws/lambda/{self.name}"


@dataclass(frozen=True)
class EmulatorConfig:
    """Everything `lambdabox emulate` needs, resolved and validated."""

    command: tuple[str, ...]
    function: FunctionConfig
    cwd: str | None = None
    handler: str | None = None
    runtime_env: Mapping[str, str] = field(default_factory=dict)
    invoke_host: str = "127.0.0.1"
    invoke_port: int = 8080
    runtime_api_host: str = "127.0.0.1"
    runtime_api_port: int = 9001
    max_concurrency: int = 1
    runtime_concurrency: int = 1
    eager_init: bool = True
    init_timeout_s: float = INIT_TIMEOUT_S
    log_level: str = "info"
    driver: Driver | None = None  # None: run `command` as a local process
    extensions_dir: str | None = "/opt/extensions"
    # Asynchronous invocations: retry delays and event age are multiplied by this; accepted
    # events are journalled in state_dir (None: in memory); records go to destinations.
    retry_delay_scale: float = 1.0
    state_dir: str | None = None
    drain_timeout_s: float = 10.0  # on stop, queued Event invocations run this long at most
    destinations: DestinationSink | None = None
    # Who may use an environment's Runtime API: "own" (its own processes, identified per
    # connection) or "any" process on the host, as aws-lambda-rie allows.
    runtime_api_peers: str = "own"
    # The Invoke API: connections served at once, and seconds a keep-alive one may idle.
    max_connections: int = 1000
    idle_timeout_s: float = 60.0


def _int(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name, "")
    if not raw:
        return default
    if not raw.strip().isdigit() or int(raw) <= 0:
        raise ConfigError(f"{name} must be a positive whole number, not {raw!r}")
    return int(raw)


def function_from_environ(environ: Mapping[str, str]) -> FunctionConfig:
    """The function's settings from the variables aws-lambda-rie documents."""
    return FunctionConfig(
        name=environ.get("AWS_LAMBDA_FUNCTION_NAME") or "test_function",
        version=environ.get("AWS_LAMBDA_FUNCTION_VERSION") or "$LATEST",
        memory_mb=_int(environ, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", DEFAULT_MEMORY_MB),
        timeout_s=_int(environ, "AWS_LAMBDA_FUNCTION_TIMEOUT", DEFAULT_TIMEOUT_S),
        region=environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or "us-east-1",
        account_id=environ.get("AWS_ACCOUNT_ID") or "012345678912",
        log_group=environ.get("AWS_LAMBDA_LOG_GROUP_NAME", ""),
        log_stream=environ.get("AWS_LAMBDA_LOG_STREAM_NAME", ""),
    )


def log_stream_name(version: str, now: float | None = None) -> str:
    """A new execution environment's log stream, named as the service names it:
    `YYYY/MM/DD/[VERSION]` and 32 hex digits, the date (UTC) of the environment's start."""
    day = time.strftime("%Y/%m/%d", time.gmtime(time.time() if now is None else now))
    return f"{day}/[{version}]{os.urandom(16).hex()}"


def runtime_concurrency(raw: str) -> int:
    """Invocations one runtime takes at once: `AWS_LAMBDA_MAX_CONCURRENCY` ("" means 1)."""
    if not raw:
        return 1
    if not raw.isdigit() or int(raw) < 1:
        raise ConfigError(f"AWS_LAMBDA_MAX_CONCURRENCY must be a positive integer, not {raw!r}")
    return int(raw)


def timeout_and_memory(env: Mapping[str, str]) -> dict[str, str]:
    """The timeout and memory settings of `env` that the runtime must see too."""
    names = ("AWS_LAMBDA_FUNCTION_TIMEOUT", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
    return {name: env[name] for name in names if name in env}


def resolve_command(args: Sequence[str]) -> tuple[tuple[str, ...], str | None, str | None]:
    """(command, cwd, handler) as aws-lambda-rie picks them.

    No command: the first existing bootstrap of /var/task, /opt, /var/runtime, run in
    /var/task. Two or more arguments: the last one is the handler, exported as _HANDLER.
    """
    if not args:
        for candidate in BOOTSTRAP_CANDIDATES:
            if os.access(candidate, os.X_OK):
                return (candidate,), "/var/task", None
        raise ConfigError(
            "no runtime command given and no bootstrap found in "
            + ", ".join(BOOTSTRAP_CANDIDATES)
            + ": pass one, e.g. lambdabox emulate -- python -m runtime_interface app.handler"
        )
    handler = args[-1] if len(args) >= 2 else None
    return tuple(args), None, handler


def split_address(value: str, option: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit():
        raise ConfigError(f"{option} must be HOST:PORT, not {value!r}")
    return host.strip("[]") or "127.0.0.1", int(port)
