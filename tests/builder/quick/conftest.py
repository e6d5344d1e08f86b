"""Fixtures of the fast-path tests: a base layout and a project to build, in tmp_path."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from builder import write_layout
from builder.testing import random_image


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """tmp_path as the working folder, with `base/` (an OCI layout tagged base) and `src/`."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    write_layout(tmp_path / "base", random_image(2, seed=7), tag="base")
    src = tmp_path / "src"
    (src / "pkg").mkdir(parents=True)
    (src / "app.py").write_text("def handler(event, context):\n    return 1\n")
    (src / "pkg" / "__init__.py").write_text("")
    return tmp_path


@pytest.fixture(scope="session")
def six_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with the six wheel (from PyPI, once): dependency layers without network."""
    folder = tmp_path_factory.mktemp("wheels")
    argv = [sys.executable, "-m", "pip", "download", "--dest", str(folder), "--quiet"]
    argv += ["--only-binary=:all:", "--platform", "manylinux2014_x86_64"]
    argv += ["--python-version", "3.11", "--implementation", "cp", "--no-deps"]
    done = subprocess.run([*argv, "six==1.17.0"], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.fail(f"cannot download six from PyPI: {done.stderr[-2000:]}")
    return folder


class Watching:
    """`lambdabox ARGS` (a `build --watch --json`) as a real process: its summaries, one
    JSON line per build, then its stderr once stopped with Ctrl-C."""

    def __init__(self, args: list[str]) -> None:
        argv = [sys.executable, "-m", "lambdabox", *args]
        self.proc = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )

    def summary(self) -> dict[str, Any]:
        """The next build's summary line."""
        assert self.proc.stdout is not None
        line: dict[str, Any] = json.loads(self.proc.stdout.readline())
        return line

    def stop(self) -> str:
        """SIGINT, as Ctrl-C; its stderr."""
        assert self.proc.stderr is not None
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(30)
        return self.proc.stderr.read()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(30)
        for pipe in (self.proc.stdout, self.proc.stderr):
            if pipe is not None:
                pipe.close()


@pytest.fixture
def watch() -> Iterator[Callable[[list[str]], Watching]]:
    """Start `lambdabox ARGS` watching; whatever is still running is killed afterwards."""
    started: list[Watching] = []

    def start(args: list[str]) -> Watching:
        started.append(Watching(args))
        return started[-1]

    yield start
    for watching in started:
        watching.close()
