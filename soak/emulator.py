"""The emulator under soak: ``lambdabox emulate`` (process mode) or ``lambdabox run IMAGE``
(container mode) as a subprocess on free loopback ports."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

MAX_CONCURRENCY = 4


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


START_S = 60.0


def wait_until_answering(base: str, within_s: float) -> bool:
    """True once ``GET {base}/openapi.json`` is answered, False after ``within_s``.

    The emulator binds its listening socket before its own imports (``prestart``): a
    connection is accepted into the backlog at once and answered only when the server
    runs, which may take seconds on a loaded machine. A read timeout therefore means
    "not ready yet", as a refused connection does, and is retried until ``within_s``.
    """
    deadline = time.monotonic() + within_s
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        try:
            requests.get(base + "/openapi.json", timeout=(2, max(0.1, min(left, 10))))
            return True
        except (requests.ConnectionError, requests.Timeout):
            time.sleep(0.1)


_RUN_ID = re.compile(r"lambdabox\.run=([0-9a-f]+)")


class Emulator:
    """Starts, restarts (SIGTERM, same ``--state-dir``) and stops the emulator.

    With ``image``, ``lambdabox run IMAGE`` serves it (one container per environment);
    else ``lambdabox emulate`` runs ``soak/handler`` (copied to ``function_dir``)."""

    def __init__(
        self, function_dir: Path, state_dir: Path, log: Path, image: str | None = None
    ) -> None:
        self.image = image
        self._dir = function_dir
        self._state = state_dir
        self._log = log
        self.port = _free_port()
        self._api_port = _free_port()
        self._proc: subprocess.Popen[bytes] | None = None
        self.answered_in_s = 0.0
        """How long the last start took to answer its first request (a figure)."""
        self.stopped_in_s = 0.0
        """How long the last restart's SIGTERM took to end the emulator (a figure)."""

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self._proc is not None
        return self._proc.pid

    @property
    def run_id(self) -> str | None:
        """Container mode: the label of the current run's containers (from its log)."""
        found = self.run_ids()
        return found[-1] if found else None

    def run_ids(self) -> list[str]:
        """Container mode: the labels of every run so far (one per start)."""
        return list(_RUN_ID.findall(self._log.read_text(errors="replace")))

    def start(self) -> None:
        lambdabox = Path(sys.executable).with_name("lambdabox")
        common = [
            "--listen", f"127.0.0.1:{self.port}",
            "--runtime-api-address", f"127.0.0.1:{self._api_port}",
            "--max-concurrency", str(MAX_CONCURRENCY),
            "--timeout", "2", "--memory-size", "128",
            "--retry-delay-scale", "0.01",
            "--state-dir", str(self._state), "--drain-timeout", "2",
        ]  # fmt: skip
        if self.image is None:
            command = [
                str(lambdabox), "emulate", *common, "--log-level", "warn",
                "--", sys.executable, "-m", "runtime_interface", "app.handler",
            ]  # fmt: skip
        else:  # info: its start line names the run's container label
            command = [str(lambdabox), "run", *common, "--log-level", "info", self.image]
        started = time.monotonic()
        with self._log.open("ab") as log:
            self._proc = subprocess.Popen(command, cwd=self._dir, stdout=log, stderr=log)
        if not wait_until_answering(self.base, START_S):
            raise RuntimeError(f"the emulator did not start in {START_S:.0f} s: see {self._log}")
        self.answered_in_s = time.monotonic() - started

    def stop(self) -> int:
        """SIGTERM, wait (SIGKILL after 30 s); return the exit status."""
        proc = self._proc
        if proc is None:
            return 0
        proc.send_signal(signal.SIGTERM)
        try:
            return proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            return proc.wait()

    def restart(self) -> int:
        began = time.monotonic()
        status = self.stop()
        self.stopped_in_s = time.monotonic() - began
        self.start()
        return status
