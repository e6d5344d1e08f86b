"""The fault injector: runtimes killed and stopped, slow and idle connections held open."""

from __future__ import annotations

import os
import random
import signal
import socket
import threading
from collections.abc import Callable

from soak.ledger import Ledger
from soak.procs import descendants

SLOW_CONNECTIONS = 500
IDLE_CONNECTIONS = 200


class Injector:
    """Every ``period`` seconds, SIGKILL or SIGSTOP one runtime of the emulator."""

    def __init__(self, ledger: Ledger, emulator_pid: Callable[[], int], period: float) -> None:
        self._ledger = ledger
        self._pid = emulator_pid
        self._period = period
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.paused = threading.Event()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)

    def _run(self) -> None:
        rng = random.Random(7)
        while not self._stop.wait(self._period):
            if self.paused.is_set():
                continue
            try:
                runtimes = descendants(self._pid())
            except OSError:
                continue
            if not runtimes:
                continue
            victim = rng.choice(runtimes)
            sig = signal.SIGKILL if rng.random() < 0.6 else signal.SIGSTOP
            try:
                os.kill(victim, sig)
            except OSError:
                continue
            name = "SIGKILL runtime" if sig == signal.SIGKILL else "SIGSTOP runtime"
            self._ledger.fault(name)


class Slowloris:
    """Hold :data:`SLOW_CONNECTIONS` connections with an unfinished request head and
    :data:`IDLE_CONNECTIONS` that never send a byte; note when the server closes them."""

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger
        self._socks: list[socket.socket] = []
        self._idle: list[socket.socket] = []

    def open(self, host: str, port: int) -> None:
        for _ in range(SLOW_CONNECTIONS):
            try:
                sock = socket.create_connection((host, port), timeout=5)
                sock.sendall(b"POST /2015-03-31/functions/function/invocations HTTP/1.1\r\n")
                self._socks.append(sock)
            except OSError:
                self._ledger.fault("slow connection refused")
        for _ in range(IDLE_CONNECTIONS):
            try:
                idle = socket.create_connection((host, port), timeout=5)
                idle.setblocking(False)
                self._idle.append(idle)
            except OSError:
                self._ledger.fault("idle connection refused")
        self._ledger.fault(
            f"slow + idle connections opened ({SLOW_CONNECTIONS} + {IDLE_CONNECTIONS} tried)"
        )

    def trickle(self) -> None:
        """Send one more header byte on each slow one (keeps it busy, never completes);
        notice idle ones the server closed."""
        for sock in list(self._socks):
            try:
                sock.sendall(b"X")
            except OSError:
                self._socks.remove(sock)
                sock.close()
                self._ledger.fault("slow connection closed by server")
        for idle in list(self._idle):
            try:
                closed = idle.recv(1) == b""
            except BlockingIOError:
                continue
            except OSError:
                closed = True
            if closed:
                self._idle.remove(idle)
                idle.close()
                self._ledger.fault("idle connection closed by server")

    def close(self) -> None:
        for sock in self._socks + self._idle:
            sock.close()
        self._socks = []
        self._idle = []
