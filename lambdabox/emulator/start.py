"""`lambdabox emulate` from its parsed options: the EmulatorConfig, then listen, start the
runtime ahead and serve. Both parsers (`cli`'s argparse and `quick.quick_parse`) end here.

Imports no argparse, and the emulator itself (asyncio) only once it listens.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from lambdabox.emulator.config import (
    ConfigError,
    EmulatorConfig,
    function_from_environ,
    resolve_command,
    runtime_concurrency,
    split_address,
    timeout_and_memory,
)
from lambdabox.emulator.options import OptionError
from lambdabox.emulator.options import log_level as valid_log_level

if TYPE_CHECKING:
    import argparse
    from types import SimpleNamespace

    Arguments = argparse.Namespace | SimpleNamespace  # from `cli` or `quick`

RIE_FLAGS = {
    "--runtime-interface-emulator-address": "listen",
    "--runtime-api-address": "runtime_api_address",
    "--log-level": "log_level",
    "--enable-init-caching": "enable_init_caching",
}
"""aws-lambda-rie's flags (it reads them anywhere on its command line) -> our option names."""
_RIE_SWITCHES = frozenset({"--enable-init-caching"})


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


def function_environ(args: Arguments, environ: Mapping[str, str]) -> dict[str, str]:
    """`environ` with --timeout and --memory-size applied: they set the function's variables."""
    env = dict(environ)
    if args.timeout is not None:
        env["AWS_LAMBDA_FUNCTION_TIMEOUT"] = str(args.timeout)
    if args.memory_size is not None:
        env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = str(args.memory_size)
    return env


def common_fields(args: Arguments) -> dict[str, Any]:
    """The EmulatorConfig fields set by the options `emulate` and `run` share
    (`options.common_options`), but for the addresses and the log level."""
    if args.max_concurrency < 1:
        raise ConfigError("--max-concurrency must be at least 1")
    return {
        "max_concurrency": args.max_concurrency,
        "eager_init": args.init == "eager",
        "retry_delay_scale": args.retry_delay_scale,
        "state_dir": args.state_dir,
        "drain_timeout_s": args.drain_timeout,
        "runtime_api_peers": args.runtime_api_peers,
        "max_connections": args.max_connections,
        "idle_timeout_s": args.idle_timeout,
    }


def build_config(args: Arguments, environ: Mapping[str, str]) -> EmulatorConfig:
    env = function_environ(args, environ)
    flags, command = split_command(args.command)
    log_level = args.log_level
    if "log_level" in flags:
        try:
            log_level = valid_log_level(flags["log_level"])
        except OptionError as exc:
            raise ConfigError(f"--log-level: {exc}") from None
    argv, cwd, handler = resolve_command(command)
    listen = flags.get("listen", args.listen)
    invoke_host, invoke_port = split_address(listen, "--runtime-interface-emulator-address")
    api_address = flags.get("runtime_api_address", args.runtime_api_address)
    api_host, api_port = split_address(api_address, "--runtime-api-address")
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
        runtime_concurrency=runtime_concurrency(env.get("AWS_LAMBDA_MAX_CONCURRENCY", "")),
        log_level=log_level,
        extensions_dir=args.extensions_dir,
        **common_fields(args),
    )


def prepare(
    args: Arguments, build: Callable[[], EmulatorConfig], command: str
) -> EmulatorConfig | int:
    """The config `build` makes (of `args`), `args.event_loop` checked and its --state-dir
    held (before anything listens: a second emulator on it is refused now); or the exit
    status after the message naming the fix (2 for a usage error, else 1)."""
    from lambdabox.emulator import statedir
    from lambdabox.emulator.loops import LoopUnavailable, check

    try:
        config = build()
    except ConfigError as exc:
        sys.stderr.write(f"lambdabox {command}: {exc}\n")
        return 2
    try:
        check(args.event_loop)
        if config.state_dir:
            statedir.hold(config.state_dir, config.function.name)
    except (LoopUnavailable, statedir.StateDirError) as exc:
        sys.stderr.write(f"lambdabox {command}: {exc}\n")
        return 1
    return config


def run(args: Arguments) -> int:
    from lambdabox.emulator import prestart
    from lambdabox.emulator.startup import mark

    config = prepare(args, lambda: build_config(args, os.environ), "emulate")
    if isinstance(config, int):
        return config
    try:
        _start_ahead(config)
    except OSError as exc:
        prestart.discard()
        sys.stderr.write(f"lambdabox emulate: cannot start: {exc}. Is the port in use?\n")
        return 1
    mark("runtime started ahead")
    try:
        return _serve(config, args.event_loop)
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


def _serve(config: EmulatorConfig, event_loop: str) -> int:
    from lambdabox.emulator import loops

    if event_loop == "asyncio":
        loops.import_asyncio_without_tls()

    from lambdabox.emulator.server import Emulator
    from lambdabox.emulator.startup import mark
    from lambdabox.emulator.statedir import StateDirError

    mark("emulator imported")
    try:
        emulator = Emulator(config)
    except StateDirError as exc:  # its journal (asyncinvoke.JournalError)
        sys.stderr.write(f"lambdabox emulate: {exc}\n")
        return 1

    def announce(line: str) -> None:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()

    try:
        loops.run(emulator.serve_until_signal(announce), event_loop)
    except OSError as exc:
        sys.stderr.write(f"lambdabox emulate: cannot start: {exc}. Is the port in use?\n")
        return 1
    return 0
