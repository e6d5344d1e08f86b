"""`lambdabox emulate`: its argparse parser (aws-lambda-rie's flags included), for `--help`,
usage errors and every command line `quick.quick_parse` declines; `start.run` serves."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from lambdabox.emulator.options import (
    Option,
    OptionError,
    common_options,
    default_listen,
    emulate_options,
)
from lambdabox.emulator.start import RIE_FLAGS, build_config, run, split_command

__all__ = [
    "DESCRIPTION",
    "RIE_FLAGS",
    "add_arguments",
    "add_common_arguments",
    "add_option",
    "build_config",
    "default_listen",
    "run",
    "split_command",
]

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


def add_common_arguments(parser: argparse.ArgumentParser, default_listen: str, what: str) -> None:
    """Options `emulate` and `run` share; `what` names an environment in the help."""
    for option in common_options(default_listen, what):
        add_option(parser, option)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    for option in emulate_options(default_listen()):
        add_option(parser, option)
    parser.add_argument(
        "command",
        nargs=argparse.REMAINDER,
        help="the runtime (default: the bootstrap in /var/task, /opt, /var/runtime)",
    )


def add_option(parser: argparse.ArgumentParser, option: Option) -> None:
    """`option` (from the `options` table) as an argparse argument of `parser`."""
    help_text = argparse.SUPPRESS if option.hidden else option.help
    if option.switch:
        parser.add_argument(*option.flags, dest=option.dest, action="store_true", help=help_text)
        return
    action = parser.add_argument(
        *option.flags,
        dest=option.dest,
        default=option.default,
        metavar=option.metavar,
        choices=option.choices or None,
        help=help_text,
    )
    if option.parse is not None:
        action.type = _typed(option.parse)


def _typed(parse: Callable[[str], object]) -> Callable[[str], object]:
    """`parse` for argparse: its OptionError becomes argparse's usage error."""

    def typed(text: str) -> object:
        try:
            return parse(text)
        except OptionError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    typed.__name__ = parse.__name__
    return typed
