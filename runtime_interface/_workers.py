"""Multi-concurrency: AWS_LAMBDA_MAX_CONCURRENCY=N runs N worker processes.

Each worker is a full runtime (own connection, own init, own invoke loop), as
awslambdaric 4.x does it. The parent waits; when a worker exits, the others are
stopped and the parent exits with that worker's status, so the platform sees the
runtime exit and can start a fresh environment. SIGTERM to the parent is forwarded.
"""

from __future__ import annotations

import contextlib
import os
import signal

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable


def redirect_output(socket_path: str) -> None:
    """Point fds 1 and 2 at the platform's log socket (_LAMBDA_TELEMETRY_LOG_FD_PROVIDER_SOCKET)."""
    import _socket

    for fd in (1, 2):
        sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
        try:
            sock.connect(socket_path)
            os.dup2(sock.fileno(), fd)
        finally:
            sock.close()


def run_workers(count: int, worker: Callable[[], int]) -> int:
    """Fork `count` workers running `worker()`; return the exit status to use."""
    children: list[int] = []
    for _ in range(count):
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                code = worker()
            finally:
                os._exit(code)
        children.append(pid)

    stopping: list[int] = []

    def forward(signum: int) -> None:
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signum)

    def on_term(signum: int, _frame: object) -> None:
        stopping.append(signum)
        forward(signum)

    signal.signal(signal.SIGTERM, on_term)
    pid, status = os.wait()
    children.remove(pid)
    if not stopping:
        forward(signal.SIGTERM)
    for child in children:
        os.waitpid(child, 0)
    if stopping:
        return 0
    code = os.waitstatus_to_exitcode(status)
    return 128 - code if code < 0 else code
