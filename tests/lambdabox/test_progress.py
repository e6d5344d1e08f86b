"""Progress output: a spinner on terminals, plain start/end lines in logs."""

from __future__ import annotations

import io
import threading

import pytest

from lambdabox.progress import Status


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_plain_lines_when_not_a_terminal() -> None:
    out = io.StringIO()
    status = Status("lambdabox build", out)
    with status.step("installing dependencies"):
        status.say("dependencies: 3 wheels")
    lines = out.getvalue().splitlines()
    assert lines[0] == "lambdabox build: installing dependencies ..."
    assert lines[1] == "lambdabox build: dependencies: 3 wheels"
    assert lines[2].startswith("lambdabox build: installing dependencies done (")


def test_spinner_on_a_terminal_and_failure_mark() -> None:
    out = FakeTerminal()
    status = Status("lambdabox base", out)
    with status.step("mmdebstrap"):
        threading.Event().wait(0.25)  # long enough for the spinner to redraw
    with pytest.raises(ValueError, match="boom"), status.step("push"):
        raise ValueError("boom")
    text = out.getvalue()
    assert "\r\033[K" in text
    assert "✓ mmdebstrap (" in text
    assert "✗ push (" in text
