"""`lambdabox build --watch` rebuilds a code-only change on the fast path, with the digests
the full path gives for the same code."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from builder import read_layout, validate_layout
from lambdabox.cli import main as full_main

ARGV = ["build", "src", "--handler", "app.handler", "--base", "base", "--cache", "cache"]


def test_watch_rebuilds_on_the_fast_path(
    project: Path, capsys: pytest.CaptureFixture[str], watch: Callable[[list[str]], Any]
) -> None:
    watching = watch([*ARGV, "--output", "out", "--json", "--watch"])
    first = watching.summary()
    digests = []
    for n in range(3):
        time.sleep(0.05)
        (project / "src" / "app.py").write_text(f"def handler(e, c):\n    return {n}\n")
        summary = watching.summary()
        assert [layer["cached"] for layer in summary["layers"]] == [False]
        digests.append(summary["digest"])
    err = watching.stop()
    assert err.count("(code-only change: fast path)") == 3, err
    assert first["digest"] not in digests
    assert len(set(digests)) == 3
    # the full path on the same code gives the same image
    assert full_main([*ARGV, "--output", "full"]) == 0
    capsys.readouterr()
    assert str(read_layout(project / "full").digest) == digests[-1]
    assert str(read_layout(project / "out").digest) == digests[-1]
    validate_layout(project / "out", "latest")
