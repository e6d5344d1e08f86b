"""Progress on long steps: a spinner with elapsed time on a terminal, plain lines otherwise.

    status = Status("lambdabox build")
    with status.step("installing dependencies"):
        ...
    status.say("wrote .lambdabox/out/fn")

On a terminal the running step animates on one line and ends as `✓ step (1.2 s)` (or
`✗` when it raised); in CI logs and pipes each step is one line when it starts and one
when it ends, so logs stay readable.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

_FRAMES = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


class Status:
    """Progress output for one command, on stderr by default."""

    def __init__(self, prefix: str, stream: TextIO | None = None) -> None:
        self.prefix = prefix
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._lock = threading.Lock()
        self._active: str | None = None
        self._started = 0.0

    def say(self, line: str) -> None:
        """A line that stays (printed above a running spinner)."""
        with self._lock:
            if self.tty and self._active is not None:
                self.stream.write("\r\033[K")
            self.stream.write(f"{self.prefix}: {line}\n")
            self._draw()
            self.stream.flush()

    def __call__(self, line: str) -> None:
        self.say(line)

    def _draw(self) -> None:
        if self.tty and self._active is not None:
            elapsed = time.monotonic() - self._started
            frame = _FRAMES[int(elapsed * 10) % len(_FRAMES)]
            self.stream.write(f"\r\033[K{frame} {self._active} ({elapsed:.1f} s)")

    @contextmanager
    def step(self, label: str) -> Iterator[None]:
        """Show `label` as running for the duration of the block."""
        self._started = time.monotonic()
        stop = threading.Event()
        if self.tty:
            with self._lock:
                self._active = label
                self._draw()
                self.stream.flush()

            def animate() -> None:
                while not stop.wait(0.1):
                    with self._lock:
                        self._draw()
                        self.stream.flush()

            spinner = threading.Thread(target=animate, daemon=True)
            spinner.start()
        else:
            self.say(f"{label} ...")
        ok = False
        try:
            yield
            ok = True
        finally:
            stop.set()
            elapsed = time.monotonic() - self._started
            with self._lock:
                self._active = None
            if self.tty:
                spinner.join()
                mark = "✓" if ok else "✗"
                self.stream.write(f"\r\033[K{mark} {label} ({elapsed:.1f} s)\n")
                self.stream.flush()
            else:
                self.say(f"{label} {'done' if ok else 'failed'} ({elapsed:.1f} s)")
