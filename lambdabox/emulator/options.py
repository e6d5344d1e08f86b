"""The options of `lambdabox emulate` (and those `lambdabox run` shares), as one table.

The table feeds two parsers that must agree: argparse, for `--help`, usage errors and every
unusual command line (`cli`), and `quick.quick_parse`, which reads the plain forms without
importing argparse (about 10 ms of every cold start) and declines everything else. A test
holds `quick_parse` to argparse's result on a corpus of command lines.

Imports only the standard library's cheap modules: it runs before the emulator's imports.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from lambdabox.emulator.loops import LOOPS

__all__ = [
    "EVENT_LOOP",
    "Option",
    "OptionError",
    "common_options",
    "default_listen",
    "emulate_options",
]


class OptionError(ValueError):
    """An option's value is malformed; the message says what it must be."""


@dataclass(frozen=True)
class Option:
    """One option: its flags (the first is the long name), where it goes, its help."""

    flags: tuple[str, ...]
    dest: str
    help: str
    default: object = None
    metavar: str | None = None
    parse: Callable[[str], object] | None = None  # raises OptionError
    choices: tuple[str, ...] = ()
    switch: bool = False  # store_true: no value
    hidden: bool = False  # left out of --help


EVENT_LOOP = Option(
    ("--event-loop",),
    "event_loop",
    "the event loop to serve on: asyncio's (default; the sooner first answer) or "
    "uvloop (more warm invocations per second; pip install 'lambdabox[uvloop]')",
    "asyncio",
    choices=LOOPS,
)
"""`--event-loop`, in `emulate`'s, `run`'s and `up`'s command lines."""


def positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise OptionError(f"must be a number above 0, e.g. 0.01, not {text!r}")
    return value


def whole(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise OptionError(f"must be a whole number of at least 1, not {text!r}")
    return int(text)


def integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise OptionError(f"invalid int value: {text!r}") from None


def log_level(name: str) -> str:
    from lambdabox.emulator.loglevel import parse_level

    try:
        parse_level(name)
    except ValueError as exc:
        raise OptionError(str(exc)) from None
    return name.strip().lower()


def default_listen() -> str:
    """Where emulate's Invoke API listens by default: on every address inside a container
    (as aws-lambda-rie does, so `docker run -p` reaches it), else on 127.0.0.1."""
    inside = os.path.exists("/.dockerenv") or os.path.exists("/run/.containerenv")
    return f"{'0.0.0.0' if inside else '127.0.0.1'}:8080"


def common_options(default_listen: str, what: str) -> tuple[Option, ...]:
    """The options `emulate` and `run` share; `what` names an environment in the help."""
    return (
        Option(
            ("--runtime-interface-emulator-address", "--listen"),
            "listen",
            "where the Invoke API listens (default %(default)s)",
            default_listen,
            "HOST:PORT",
        ),
        Option(
            ("--runtime-api-address",),
            "runtime_api_address",
            "the first environment's Runtime API (default %(default)s); others use free ports",
            "127.0.0.1:9001",
            "HOST:PORT",
        ),
        Option(
            ("--runtime-api-peers",),
            "runtime_api_peers",
            f"who may connect to each {what}'s Runtime API: only its own processes (default; "
            "others get 403 AccessDeniedException) or any local process, as aws-lambda-rie "
            "allows",
            "own",
            choices=("own", "any"),
        ),
        Option(
            ("--log-level",),
            "log_level",
            "the emulator's own messages on stderr: error, warn, info (default, or "
            "$LOG_LEVEL), debug (also one line per API request); the function's log is "
            "always shown",
            os.environ.get("LOG_LEVEL", "info"),
            parse=log_level,
        ),
        Option(
            ("--max-concurrency",),
            "max_concurrency",
            f"{what}s started on demand, at most N (default 1)",
            1,
            "N",
            integer,
        ),
        Option(
            ("--init",),
            "init",
            f"start the first {what} at start (default) or on first invoke",
            "eager",
            choices=("eager", "lazy"),
        ),
        Option(
            ("--timeout",),
            "timeout",
            "function timeout (default: AWS_LAMBDA_FUNCTION_TIMEOUT, else 300)",
            None,
            "S",
            integer,
        ),
        Option(
            ("--memory-size",),
            "memory_size",
            "function memory (default: AWS_LAMBDA_FUNCTION_MEMORY_SIZE, else 3008)",
            None,
            "MB",
            integer,
        ),
        Option(
            ("--retry-delay-scale",),
            "retry_delay_scale",
            "Event invocations: multiply the service's retry delays (1 and 2 minutes) and the "
            "maximum event age by X (default 1; tests use e.g. 0.01)",
            1.0,
            "X",
            positive,
        ),
        EVENT_LOOP,
        Option(
            ("--state-dir",),
            "state_dir",
            "journal accepted Event invocations in DIR (SQLite) before answering 202; a "
            "restart on the same DIR resumes them (default: kept in memory only)",
            None,
            "DIR",
        ),
        Option(
            ("--drain-timeout",),
            "drain_timeout",
            "on SIGTERM, run queued Event invocations for at most S seconds (default 10); "
            "the rest stay journalled in --state-dir for the next start",
            10.0,
            "S",
            positive,
        ),
        Option(
            ("--max-connections",),
            "max_connections",
            "Invoke API connections served at once (default 1000); one more is answered 503 "
            "and closed, those open keep being served",
            1000,
            "N",
            whole,
        ),
        Option(
            ("--idle-timeout",),
            "idle_timeout",
            "close an Invoke API keep-alive connection after S idle seconds (default 60); a "
            "request in progress (an invoke waiting for its function) is never timed out",
            60.0,
            "S",
            positive,
        ),
    )


def emulate_options(default_listen: str) -> tuple[Option, ...]:
    """`lambdabox emulate`'s options (its COMMAND words come after them)."""
    return (
        *common_options(default_listen, "environment"),
        Option(
            ("--extensions-dir",),
            "extensions_dir",
            "external extensions to start before the runtime (default %(default)s)",
            "/opt/extensions",
            "DIR",
        ),
        Option(
            ("--enable-init-caching",), "enable_init_caching", "", False, switch=True, hidden=True
        ),
    )
