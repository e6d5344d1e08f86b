"""`lambdabox emulate`: arguments (aws-lambda-rie's included) to an EmulatorConfig, then serve."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence

from lambdabox.emulator.config import (
    ConfigError,
    EmulatorConfig,
    function_from_environ,
    resolve_command,
    runtime_concurrency,
    split_address,
    timeout_and_memory,
)

DESCRIPTION = """\
Run COMMAND as a Lambda runtime and serve the Lambda Invoke API for it, like
aws-lambda-rie but with the service's behaviour: status codes and function errors,
timeouts that recycle the environment, crash recovery, concurrent environments, REPORT
lines with real memory figures.

examples:
  lambdabox emulate -- python -m runtime_interface app.handler
  curl -d '{"name": "x"}' http://127.0.0.1:8080/2015-03-31/functions/function/invocations

The function's settings come from the environment, as for aws-lambda-rie:
AWS_LAMBDA_FUNCTION_TIMEOUT (s, default 300), AWS_LAMBDA_FUNCTION_MEMORY_SIZE (MB),
AWS_LAMBDA_FUNCTION_NAME, AWS_LAMBDA_FUNCTION_VERSION, AWS_LAMBDA_LOG_GROUP_NAME,
AWS_LAMBDA_LOG_STREAM_NAME, AWS_REGION, credentials; AWS_LAMBDA_MAX_CONCURRENCY=N lets
one runtime take N invocations at once (multi-concurrent runtimes).

As aws-lambda-rie does, its own flags (--runtime-interface-emulator-address,
--runtime-api-address, --log-level, --enable-init-caching) are read anywhere on the line,
after COMMAND too; words after `--` all go to COMMAND:
  lambdabox emulate /lambda-entrypoint.sh app.handler --log-level debug
  lambdabox emulate -- node app.js --log-level debug
exit statuses: 0 stopped by SIGINT/SIGTERM, 1 could not start, 2 usage error."""

RIE_FLAGS = {
    "--runtime-interface-emulator-address": "listen",
    "--runtime-api-address": "runtime_api_address",
    "--log-level": "log_level",
    "--enable-init-caching": "enable_init_caching",
}
"""aws-lambda-rie's flags (it reads them anywhere on its command line) -> our option names."""
_RIE_SWITCHES = frozenset({"--enable-init-caching"})


def in_container() -> bool:
    return os.path.exists("/.dockerenv") or os.path.exists("/run/.containerenv")


def add_common_arguments(parser: argparse.ArgumentParser, default_listen: str, what: str) -> None:
    """Options `emulate` and `run` share; `what` names an environment in the help."""
    parser.add_argument(
        "--runtime-interface-emulator-address",
        "--listen",
        dest="listen",
        default=default_listen,
        metavar="HOST:PORT",
        help="where the Invoke API listens (default %(default)s)",
    )
    parser.add_argument(
        "--runtime-api-address",
        default="127.0.0.1:9001",
        metavar="HOST:PORT",
        help="the first environment's Runtime API (default %(default)s); others use free ports",
    )
    parser.add_argument(
        "--runtime-api-peers",
        choices=("own", "any"),
        default="own",
        help=f"who may connect to each {what}'s Runtime API: only its own processes (default; "
        "others get 403 AccessDeniedException) or any local process, as aws-lambda-rie allows",
    )
    parser.add_argument(
        "--log-level",
        default=os.environ.get("LOG_LEVEL", "info"),
        type=_log_level,
        help="the emulator's own messages on stderr: error, warn, info (default, or $LOG_LEVEL), "
        "debug (also one line per API request); the function's log is always shown",
    )
    parser.add_argument(
        "--max-concurrency",
        type=int,
        default=1,
        metavar="N",
        help=f"{what}s started on demand, at most N (default 1)",
    )
    parser.add_argument(
        "--init",
        choices=("eager", "lazy"),
        default="eager",
        help=f"start the first {what} at start (default) or on first invoke",
    )
    parser.add_argument(
        "--timeout",
        type=int,
        metavar="S",
        help="function timeout (default: AWS_LAMBDA_FUNCTION_TIMEOUT, else 300)",
    )
    parser.add_argument(
        "--memory-size",
        type=int,
        metavar="MB",
        help="function memory (default: AWS_LAMBDA_FUNCTION_MEMORY_SIZE, else 3008)",
    )
    parser.add_argument(
        "--retry-delay-scale",
        type=_positive,
        default=1.0,
        metavar="X",
        help="Event invocations: multiply the service's retry delays (1 and 2 minutes) and "
        "the maximum event age by X (default 1; tests use e.g. 0.01)",
    )
    parser.add_argument(
        "--state-dir",
        metavar="DIR",
        help="journal accepted Event invocations in DIR (SQLite) before answering 202; a "
        "restart on the same DIR resumes them (default: kept in memory only)",
    )
    parser.add_argument(
        "--drain-timeout",
        type=_positive,
        default=10.0,
        metavar="S",
        help="on SIGTERM, run queued Event invocations for at most S seconds (default 10); "
        "the rest stay journalled in --state-dir for the next start",
    )
    parser.add_argument(
        "--max-connections",
        type=_whole,
        default=1000,
        metavar="N",
        help="Invoke API connections served at once (default 1000); one more is answered "
        "503 and closed, those open keep being served",
    )
    parser.add_argument(
        "--idle-timeout",
        type=_positive,
        default=60.0,
        metavar="S",
        help="close an Invoke API keep-alive connection after S idle seconds (default 60); "
        "a request in progress (an invoke waiting for its function) is never timed out",
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    default_host = "0.0.0.0" if in_container() else "127.0.0.1"
    add_common_arguments(parser, f"{default_host}:8080", "environment")
    parser.add_argument(
        "--extensions-dir",
        default="/opt/extensions",
        metavar="DIR",
        help="external extensions to start before the runtime (default %(default)s)",
    )
    parser.add_argument("--enable-init-caching", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "command",
        nargs=argparse.REMAINDER,
        help="the runtime (default: the bootstrap in /var/task, /opt, /var/runtime)",
    )


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a number above 0, e.g. 0.01, not {text!r}")
    return value


def _whole(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {text!r}")
    return int(text)


def _log_level(name: str) -> str:
    from lambdabox.emulator.loglevel import parse_level

    try:
        parse_level(name)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return name.strip().lower()


def split_command(words: Sequence[str]) -> tuple[dict[str, str], list[str]]:
    """aws-lambda-rie's flags found among COMMAND's words (before the first `--`, which is
    dropped), and the words left for the runtime. Raises ConfigError for a flag without
    its value."""
    flags: dict[str, str] = {}
    command: list[str] = []
    position = 0
    while position < len(words):
        word = words[position]
        position += 1
        if word == "--":
            command.extend(words[position:])
            break
        name, equals, value = word.partition("=")
        if name not in RIE_FLAGS:
            command.append(word)
        elif name in _RIE_SWITCHES:
            flags[RIE_FLAGS[name]] = value if equals else "true"
        elif equals:
            flags[RIE_FLAGS[name]] = value
        elif position < len(words):
            flags[RIE_FLAGS[name]] = words[position]
            position += 1
        else:
            raise ConfigError(f"{name} needs a value, e.g. {name} {_EXAMPLES[name]}")
    return flags, command


_EXAMPLES = {
    "--runtime-interface-emulator-address": "0.0.0.0:8080",
    "--runtime-api-address": "127.0.0.1:9001",
    "--log-level": "debug",
}


def build_config(args: argparse.Namespace, environ: Mapping[str, str]) -> EmulatorConfig:
    env = dict(environ)
    if args.timeout is not None:
        env["AWS_LAMBDA_FUNCTION_TIMEOUT"] = str(args.timeout)
    if args.memory_size is not None:
        env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = str(args.memory_size)
    flags, command = split_command(args.command)
    log_level = args.log_level
    if "log_level" in flags:
        try:
            log_level = _log_level(flags["log_level"])
        except argparse.ArgumentTypeError as exc:
            raise ConfigError(f"--log-level: {exc}") from None
    argv, cwd, handler = resolve_command(command)
    listen = flags.get("listen", args.listen)
    invoke_host, invoke_port = split_address(listen, "--runtime-interface-emulator-address")
    api_address = flags.get("runtime_api_address", args.runtime_api_address)
    api_host, api_port = split_address(api_address, "--runtime-api-address")
    if args.max_concurrency < 1:
        raise ConfigError("--max-concurrency must be at least 1")
    return EmulatorConfig(
        command=argv,
        cwd=cwd,
        handler=handler,
        function=function_from_environ(env),
        runtime_env=timeout_and_memory(env),
        invoke_host=invoke_host,
        invoke_port=invoke_port,
        runtime_api_host=api_host,
        runtime_api_port=api_port,
        max_concurrency=args.max_concurrency,
        runtime_concurrency=runtime_concurrency(env.get("AWS_LAMBDA_MAX_CONCURRENCY", "")),
        eager_init=args.init == "eager",
        log_level=log_level,
        extensions_dir=args.extensions_dir,
        retry_delay_scale=args.retry_delay_scale,
        state_dir=args.state_dir,
        drain_timeout_s=args.drain_timeout,
        runtime_api_peers=args.runtime_api_peers,
        max_connections=args.max_connections,
        idle_timeout_s=args.idle_timeout,
    )


def run(args: argparse.Namespace) -> int:
    from lambdabox.emulator import prestart, statedir
    from lambdabox.emulator.startup import mark

    try:
        config = build_config(args, os.environ)
    except ConfigError as exc:
        sys.stderr.write(f"lambdabox emulate: {exc}\n")
        return 2
    try:
        if config.state_dir:  # before listening: a second emulator on it is refused now
            statedir.hold(config.state_dir, config.function.name)
    except statedir.StateDirError as exc:
        sys.stderr.write(f"lambdabox emulate: {exc}\n")
        return 1
    try:
        _start_ahead(config)
    except OSError as exc:
        prestart.discard()
        sys.stderr.write(f"lambdabox emulate: cannot start: {exc}. Is the port in use?\n")
        return 1
    mark("runtime started ahead")
    try:
        return _serve(config)
    finally:
        prestart.discard()


def _start_ahead(config: EmulatorConfig) -> None:
    """Listen, and (no extensions) start the runtime before the imports: at once (eager
    init) or when the first caller connects (lazy init)."""
    from lambdabox.emulator import prestart
    from lambdabox.emulator.config import log_stream_name
    from lambdabox.emulator.runtime_env import runtime_environment

    prestart.bind(config.invoke_host, config.invoke_port)
    host, port = prestart.bind(config.runtime_api_host, config.runtime_api_port)
    extensions = config.extensions_dir
    if extensions and os.path.isdir(extensions) and os.listdir(extensions):
        return  # extensions start (and register) before the runtime: the emulator does it
    env = runtime_environment(config, dict(os.environ))
    version = env.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
    env.setdefault("AWS_LAMBDA_LOG_STREAM_NAME", log_stream_name(version))
    env["AWS_LAMBDA_RUNTIME_API"] = f"{host}:{port}"
    if config.log_level == "debug":
        prestart.mark_first_request((config.runtime_api_host, config.runtime_api_port))
    if config.eager_init:
        prestart.spawn_runtime(config.command, config.cwd, env)
    else:  # lazy: when the first caller connects (its invoke is on its way)
        listening = (config.invoke_host, config.invoke_port)
        prestart.spawn_on_first_connection(listening, config.command, config.cwd, env)


def _serve(config: EmulatorConfig) -> int:
    import asyncio

    from lambdabox.emulator.asyncinvoke import JournalError
    from lambdabox.emulator.server import Emulator
    from lambdabox.emulator.startup import mark

    mark("emulator imported")
    try:
        emulator = Emulator(config)
    except JournalError as exc:
        sys.stderr.write(f"lambdabox emulate: {exc}\n")
        return 1

    def announce(line: str) -> None:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()

    try:
        asyncio.run(emulator.serve_until_signal(announce))
    except OSError as exc:
        sys.stderr.write(f"lambdabox emulate: cannot start: {exc}. Is the port in use?\n")
        return 1
    return 0
