"""`lambdabox build --watch`: a real process, real file changes, one JSON line per build."""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from builder import write_layout
from builder.layers.watch import fingerprint
from builder.testing import random_image


class WatchProcess:
    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc

    def next_build(self, timeout: float = 30) -> dict[str, Any]:
        """The next JSON line (a finished build) on stdout."""
        assert self.proc.stdout is not None
        with selectors.DefaultSelector() as selector:
            selector.register(self.proc.stdout, selectors.EVENT_READ)
            if not selector.select(timeout):
                self.proc.kill()
                pytest.fail(f"no build within {timeout} s: {self.stderr()}")
        line = self.proc.stdout.readline()
        assert line, f"the watch ended: {self.stderr()}"
        summary: dict[str, Any] = json.loads(line)
        return summary

    def stderr(self) -> str:
        if self.proc.poll() is None:
            return "(still running)"
        assert self.proc.stderr is not None
        return self.proc.stderr.read()


@contextlib.contextmanager
def watching_build(tmp_path: Path, output: Path) -> Iterator[tuple[WatchProcess, Path]]:
    """`lambdabox build tmp_path/src --watch --json --output OUTPUT` on a random base."""
    write_layout(tmp_path / "base", random_image(1), tag="base")
    src = tmp_path / "src"
    src.mkdir()
    (src / "app.py").write_text("def handler(event, context):\n    return 0\n")
    (src / ".lambdaboxignore").write_text("*.log\n")
    argv = [sys.executable, "-m", "lambdabox", "build", str(src), "--handler", "app.handler"]
    argv += ["--base", str(tmp_path / "base"), "--cache", str(tmp_path / "cache")]
    argv += ["--output", str(output), "--watch", "--json"]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        yield WatchProcess(proc), src
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture
def watching(tmp_path: Path) -> Iterator[tuple[WatchProcess, Path]]:
    with watching_build(tmp_path, tmp_path / "src" / ".lambdabox" / "out") as started:
        yield started


def test_every_change_builds_again_and_ctrl_c_stops(watching: tuple[WatchProcess, Path]) -> None:
    watch, src = watching
    first = watch.next_build()
    (src / "app.py").write_text("def handler(event, context):\n    return 1\n")
    second = watch.next_build()
    assert second["digest"] != first["digest"]
    assert [layer["cached"] for layer in second["layers"]] == [False]  # the code layer

    (src / "debug.log").write_text("ignored\n")  # ignored: no build
    (src / ".lambdabox" / "out" / "stray").write_text("ours\n")  # the output: no build
    time.sleep(0.3)  # let the watcher see (and discard) those events first
    (src / "pkg" / "deep").mkdir(parents=True)  # a new folder is watched from now on
    third = watch.next_build()  # folders are entries of the layer too
    assert third["digest"] != second["digest"]
    (src / "pkg" / "deep" / "mod.py").write_text("X = 1\n")
    fourth = watch.next_build()
    assert fourth["digest"] != third["digest"]

    watch.proc.send_signal(signal.SIGINT)
    assert watch.proc.wait(10) == 0
    assert "stopped watching" in watch.stderr()


def test_an_output_inside_the_code_folder_does_not_trigger_builds(tmp_path: Path) -> None:
    """The layout written into src/out is neither read nor watched: no build loop."""
    with watching_build(tmp_path, tmp_path / "src" / "out") as (watch, src):
        first = watch.next_build()
        for n in (1, 2):  # a build triggered by its own output would repeat a digest here
            (src / "app.py").write_text(f"X = {n}\n")
            summary = watch.next_build()
            assert summary["digest"] != first["digest"]
            first = summary
        watch.proc.send_signal(signal.SIGINT)
        assert watch.proc.wait(10) == 0


def test_a_failing_build_is_reported_and_the_watch_goes_on(
    watching: tuple[WatchProcess, Path],
) -> None:
    watch, src = watching
    first = watch.next_build()
    os.symlink("/etc/passwd", src / "escape")  # points out of the tree: refused
    (src / "app.py").write_text("def handler(event, context):\n    return 2\n")
    time.sleep(0.5)
    (src / "escape").unlink()
    fixed = watch.next_build()
    assert fixed["digest"] != first["digest"]
    watch.proc.send_signal(signal.SIGINT)
    assert watch.proc.wait(10) == 0
    assert "the watch goes on" in watch.stderr()


def test_the_fingerprint_follows_what_the_build_reads(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "app.py").write_text("a")
    (src / ".lambdaboxignore").write_text("*.log\n")
    requirements = tmp_path / "requirements.txt"
    before = fingerprint([src, requirements])
    (src / "x.log").write_text("ignored")
    (src / "__pycache__").mkdir()
    assert fingerprint([src, requirements]) == before
    requirements.write_text("six\n")
    assert fingerprint([src, requirements]) != before
