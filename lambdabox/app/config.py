"""What `lambdabox up` (or the pytest fixture) asks of an application, read once."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lambdabox.triggers.ports import Clock, SystemClock

MODES = ("process", "container")


@dataclass(frozen=True)
class AppConfig:
    """Everything an application run needs; nothing is read from the environment later."""

    template: Path  # the template file (for a synthesised one: where relative paths start)
    document: Mapping[str, Any] | None = None  # a synthesised template; None: read `template`
    overrides: Mapping[str, str] = field(default_factory=dict)
    import_values: Mapping[str, str] = field(default_factory=dict)  # exports for !ImportValue
    mode: str | None = None  # None: process when every function is a Python zip function
    host: str = "127.0.0.1"
    port: int = 3001
    http_port: int = 3000
    functions: tuple[str, ...] = ()  # a subset by logical id, path or name; () for all
    env_vars: Path | None = None
    max_environments: int = 4
    retry_delay_scale: float = 1.0
    state_dir: Path | None = None
    sqs_endpoint: str | None = None
    rabbitmq_url: str | None = None
    region: str = "us-east-1"
    account_id: str = "123456789012"
    stack_name: str = "lambdabox"
    log_level: str = "warn"
    watch: bool = True
    clock: Clock = field(default_factory=SystemClock)
    echo_logs: Callable[[str], None] | None = None  # function log lines; None: not printed
    say: Callable[[str], None] = print  # progress and warnings
    debug: Callable[[str], None] = lambda _line: None
