"""`lambdabox emulate` without the command line's imports: a plain command line goes from
`quick_parse` (over the `options` table) to `start.run`, so a cold start pays neither for
argparse nor for the parser of every command. Anything else (help, a mistake) is declined
and the console script runs the full command line, which reports it.
"""

from __future__ import annotations

from lambdabox.emulator.startup import mark

mark("interpreter started")

from collections.abc import Sequence  # noqa: E402
from types import SimpleNamespace  # noqa: E402

from lambdabox.emulator.options import (  # noqa: E402
    Option,
    OptionError,
    default_listen,
    emulate_options,
)


def quick_emulate(argv: Sequence[str]) -> int | None:
    """Run `lambdabox emulate ARGV` when ARGV is a plain command line; its exit status.
    None: declined, nothing was done."""
    mark("command line imported")
    values = quick_parse(argv, emulate_options(default_listen()), "command")
    if values is None:
        return None
    mark("arguments parsed")
    from lambdabox.emulator.start import run

    return run(SimpleNamespace(**values))


def quick_parse(
    argv: Sequence[str], options: Sequence[Option], rest: str
) -> dict[str, object] | None:
    """What argparse makes of `argv` (options, then the words from the first that is not
    one into `rest`), or None when the line is not one of the plain forms: help, an
    unknown or abbreviated flag, a flag without its value, a value that does not parse or
    starts with `-`. argparse then parses it, and reports what is wrong."""
    by_flag = {flag: option for option in options for flag in option.flags}
    given: dict[str, object] = {}
    position = 0
    while position < len(argv) and argv[position].startswith("-") and argv[position] != "--":
        name, equals, value = argv[position].partition("=")
        position += 1
        option = by_flag.get(name)
        if option is None:
            return None
        if option.switch:
            if equals:
                return None
            given[option.dest] = True
            continue
        if not equals:
            if position >= len(argv) or argv[position].startswith("-"):
                return None
            value = argv[position]
            position += 1
        parsed = _value(option, value)
        if parsed is _DECLINED:
            return None
        given[option.dest] = parsed
    values: dict[str, object] = {}
    for option in options:
        if option.dest in given:
            values[option.dest] = given[option.dest]
        elif isinstance(option.default, str) and option.parse is not None:
            parsed = _value(option, option.default)  # argparse parses a string default
            if parsed is _DECLINED:
                return None
            values[option.dest] = parsed
        else:
            values[option.dest] = option.default
    values[rest] = list(argv[position:])
    return values


_DECLINED = object()


def _value(option: Option, text: str) -> object:
    if option.choices and text not in option.choices:
        return _DECLINED
    if option.parse is None:
        return text
    try:
        return option.parse(text)
    except OptionError:
        return _DECLINED
