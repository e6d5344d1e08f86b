"""`lambdabox emulate`'s two parsers agree: `options.quick_parse` gives what argparse gives,
or declines; and the plain command lines (the README's, aws-lambda-rie's, the bench's) are
not declined, so a cold start really takes the quick path."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from lambdabox.emulator import cli
from lambdabox.emulator.options import default_listen, emulate_options
from lambdabox.emulator.quick import quick_parse

RUNTIME = ["python", "-m", "runtime_interface", "app.handler"]

PLAIN = [  # quick_parse must take these
    ["--", *RUNTIME],
    RUNTIME,
    ["/lambda-entrypoint.sh", "app.handler", "--log-level", "debug"],
    ["--listen", "127.0.0.1:9000", "--init", "lazy", "--", *RUNTIME],
    ["--listen=127.0.0.1:9000", "--runtime-api-address", "127.0.0.1:0", *RUNTIME],
    ["--runtime-interface-emulator-address", "0.0.0.0:8080", "--log-level", "DEBUG", *RUNTIME],
    ["--max-concurrency", "4", "--timeout", "3", "--memory-size", "128", *RUNTIME],
    ["--retry-delay-scale", "0.01", "--drain-timeout", "2.5", "--state-dir", "/tmp/s", *RUNTIME],
    ["--max-connections", "10", "--idle-timeout", "5", "--runtime-api-peers", "any", *RUNTIME],
    ["--extensions-dir", "/x", "--enable-init-caching", "--", *RUNTIME],
    ["--init", "eager", "--init", "lazy", *RUNTIME],  # the last one counts
    ["--listen="],
    [],
]

UNUSUAL = [  # argparse decides these (help, errors, abbreviations); quick_parse declines
    ["--help"],
    ["-h"],
    ["--max-conc", "2", *RUNTIME],
    ["--init", "never", *RUNTIME],
    ["--timeout", "x", *RUNTIME],
    ["--timeout", "-1", *RUNTIME],
    ["--retry-delay-scale", "0", *RUNTIME],
    ["--max-connections", "0", *RUNTIME],
    ["--log-level", "loud", *RUNTIME],
    ["--listen"],
    ["--enable-init-caching=yes", *RUNTIME],
    ["--unknown", *RUNTIME],
    ["-", *RUNTIME],
]


def _argparse(argv: list[str]) -> dict[str, object] | None:
    parser = argparse.ArgumentParser(prog="lambdabox emulate", exit_on_error=False)
    cli.add_arguments(parser)
    try:
        return vars(parser.parse_args(argv))
    except (argparse.ArgumentError, SystemExit):
        return None


def _quick(argv: list[str]) -> dict[str, object] | None:
    return quick_parse(argv, emulate_options(default_listen()), "command")


@pytest.mark.parametrize("argv", PLAIN + UNUSUAL, ids=lambda a: " ".join(a) or "(none)")
@pytest.mark.parametrize("level", [None, "DEBUG", "loud"])
def test_quick_parse_agrees_with_argparse_or_declines(
    argv: list[str],
    level: str | None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    if level is None:
        monkeypatch.delenv("LOG_LEVEL", raising=False)
    else:
        monkeypatch.setenv("LOG_LEVEL", level)
    quick = _quick(argv)
    if quick is not None:
        assert quick == _argparse(argv)
    bad_default = level == "loud" and _argparse(argv) is None  # argparse parsed the default
    if argv in PLAIN and not bad_default:
        assert quick is not None, "a plain command line must not need argparse"
    if argv in UNUSUAL or bad_default:
        assert quick is None


def test_a_declined_line_gets_argparse_s_message() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "lambdabox", "emulate", "--max-connections", "0", "--", "true"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert "usage: lambdabox emulate" in proc.stderr
    assert "--max-connections: must be a whole number of at least 1, not '0'" in proc.stderr


def test_help_still_teaches() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "lambdabox", "emulate", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "--runtime-interface-emulator-address HOST:PORT, --listen HOST:PORT" in proc.stdout
    assert not [line for line in proc.stdout.splitlines() if line.startswith("  --enable-init")]
    assert "exit statuses:" in proc.stdout
