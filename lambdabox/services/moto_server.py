"""moto's server mode (SQS, Kinesis, DynamoDB and DynamoDB Streams APIs) on 127.0.0.1."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import socket
import subprocess
import sys
import time
from types import TracebackType

START_TIMEOUT_S = 30.0


class ServiceError(RuntimeError):
    """A local service could not be started; the message names the fix."""


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class MotoServer:
    """`with MotoServer() as moto: moto.endpoint` — a moto server process of our own."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, log: str | None = None) -> None:
        self.host = host
        self.port = port or free_port(host)
        self._log = log
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> MotoServer:
        if importlib.util.find_spec("moto") is None:
            raise ServiceError(
                "no local AWS endpoint: moto is not installed; `pip install 'moto[server]'` "
                "or give the endpoint (e.g. --sqs-endpoint URL)"
            )
        argv = [sys.executable, "-c", "from moto.server import main; main()"]
        argv += ["-H", self.host, "-p", str(self.port)]
        out = open(self._log, "ab") if self._log else subprocess.DEVNULL  # noqa: SIM115
        env = {**os.environ, "MOTO_ALLOW_NONEXISTENT_REGION": "true"}
        try:
            self._proc = subprocess.Popen(
                argv, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )
        finally:
            if out is not subprocess.DEVNULL:
                out.close()  # type: ignore[union-attr]
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            assert self._proc is not None
            if self._proc.poll() is not None:
                raise ServiceError(
                    f"moto server exited with status {self._proc.returncode} on start "
                    f"(port {self.port}); run `python -m moto.server -p {self.port}` to see why"
                )
            with (
                contextlib.suppress(OSError),
                socket.create_connection((self.host, self.port), timeout=0.5),
            ):
                return
            time.sleep(0.05)
        self.stop()
        raise ServiceError(f"moto server did not listen on {self.endpoint} within 30 s")

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def __enter__(self) -> MotoServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
