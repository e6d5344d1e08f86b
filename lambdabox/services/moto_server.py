"""moto's server mode (SQS, Kinesis, DynamoDB and DynamoDB Streams APIs) on 127.0.0.1."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import socket
import subprocess
import sys

from lambdabox.services._process import (
    Service,
    ServiceError,
    free_port,
    spawn,
    terminate,
    wait_ready,
)

__all__ = ["START_TIMEOUT_S", "MotoServer", "ServiceError", "free_port"]

START_TIMEOUT_S = 30.0


class MotoServer(Service):
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
        env = {**os.environ, "MOTO_ALLOW_NONEXISTENT_REGION": "true"}
        self._proc = proc = spawn(argv, env=env, log=self._log)
        try:
            wait_ready(
                proc,
                self._listens,
                timeout_s=START_TIMEOUT_S,
                interval_s=0.05,
                exited=lambda status: (
                    f"moto server exited with status {status} on start (port {self.port}); "
                    f"run `python -m moto.server -p {self.port}` to see why"
                ),
                timed_out=f"moto server did not listen on {self.endpoint} within 30 s",
            )
        except BaseException:
            self.stop()
            raise
        return self

    def _listens(self) -> bool:
        with (
            contextlib.suppress(OSError),
            socket.create_connection((self.host, self.port), timeout=0.5),
        ):
            return True
        return False

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            terminate(proc, grace_s=5)
