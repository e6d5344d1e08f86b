"""Debian's rabbitmq-server as a process of our own on 127.0.0.1.

Each instance gets its own node name, data and log folders in a temporary directory, its
own AMQP port, Erlang distribution port and epmd (an epmd of our own on a free loopback
port, so nothing is shared with a system broker or another instance), and leaves nothing
running once stopped. Starting takes several seconds (Erlang boot), so tests share one.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from lambdabox.services._process import (
    Service,
    ServiceError,
    free_port,
    spawn,
    terminate,
    wait_ready,
)

START_TIMEOUT_S = 60.0
# Debian's /usr/sbin/rabbitmq-server switches to the `rabbitmq` user and logs to
# /var/log/rabbitmq; the script it wraps runs the node as we are, with our environment.
SERVER_PATH = "/usr/lib/rabbitmq/bin/rabbitmq-server"
INSTALL_HINT = (
    "rabbitmq-server is not installed: run `make setup` (Debian: apt-get install "
    "rabbitmq-server), or give a broker with --rabbitmq-url amqp://USER:PASS@HOST:PORT/"
)


def server_program() -> str:
    """The rabbitmq-server start script that runs the node as the current user."""
    if os.access(SERVER_PATH, os.X_OK):
        return SERVER_PATH
    raise ServiceError(INSTALL_HINT)


class RabbitMQServer(Service):
    """`with RabbitMQServer() as rmq: rmq.url` — a RabbitMQ broker process of our own.

    The default user `guest`/`guest` may connect from loopback only, which is all we bind.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port or free_port(host)
        self.node = f"lambdabox-{uuid.uuid4().hex[:12]}@localhost"
        self.dist_port = 0
        self.epmd_port = 0
        self._dir: Path | None = None
        self._epmd: subprocess.Popen[bytes] | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self.started_in_s = 0.0

    @property
    def url(self) -> str:
        """The AMQP URL of the default virtual host `/`."""
        return f"amqp://guest:guest@{self.host}:{self.port}/%2F"

    @property
    def log_path(self) -> Path | None:
        """The node's log file (useful when it fails to start)."""
        return self._dir / "log" / "node.log" if self._dir else None

    def session_ids(self) -> tuple[int, ...]:
        """The session ids of the node and of epmd (each runs in a session of its own)."""
        return tuple(p.pid for p in (self._proc, self._epmd) if p is not None)

    def _environment(self, root: Path, epmd_port: int) -> dict[str, str]:
        self.dist_port = dist_port = free_port(self.host)
        for sub in ("mnesia", "log"):
            (root / sub).mkdir()
        (root / "rabbitmq-env.conf").write_text("")
        (root / "enabled_plugins").write_text("[].\n")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("RABBITMQ_", "ERL_"))}
        env.update(
            HOME=str(root),  # the Erlang cookie is written here, not in the user's home
            RABBITMQ_NODENAME=self.node,
            RABBITMQ_NODE_IP_ADDRESS=self.host,
            RABBITMQ_NODE_PORT=str(self.port),
            RABBITMQ_DIST_PORT=str(dist_port),
            ERL_EPMD_ADDRESS=self.host,
            ERL_EPMD_PORT=str(epmd_port),
            RABBITMQ_MNESIA_BASE=str(root / "mnesia"),
            RABBITMQ_LOG_BASE=str(root / "log"),
            RABBITMQ_LOGS=str(root / "log" / "node.log"),
            RABBITMQ_CONF_ENV_FILE=str(root / "rabbitmq-env.conf"),
            RABBITMQ_CONFIG_FILE=str(root / "rabbitmq"),
            RABBITMQ_ADVANCED_CONFIG_FILE=str(root / "advanced.config"),
            RABBITMQ_ENABLED_PLUGINS_FILE=str(root / "enabled_plugins"),
            RABBITMQ_PID_FILE=str(root / "node.pid"),
            # The distribution listener on loopback too (it binds every interface otherwise).
            RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=(
                "-kernel inet_dist_use_interface {127,0,0,1} +S 2:2"
            ),
        )
        return env

    def start(self) -> RabbitMQServer:
        """Start epmd and the node, and return once the broker accepts AMQP connections."""
        program = server_program()
        epmd = shutil.which("epmd") or "/usr/lib/erlang/bin/epmd"
        began = time.monotonic()
        self._dir = Path(tempfile.mkdtemp(prefix="lambdabox-rabbitmq-"))
        self.epmd_port = epmd_port = free_port(self.host)
        env = self._environment(self._dir, epmd_port)
        try:
            argv = [epmd, "-port", str(epmd_port), "-address", self.host]
            self._epmd = spawn(argv, env=env)
            log = self._dir / "log" / "console.log"
            self._proc = proc = spawn([program], env=env, log=log, cwd=self._dir)
            wait_ready(
                proc,
                lambda: _amqp_answers(self.host, self.port),
                timeout_s=START_TIMEOUT_S,
                interval_s=0.1,
                exited=lambda status: (
                    f"rabbitmq-server exited with status {status} on start "
                    f"(port {self.port}); its log: {self._dir}/log"
                ),
                timed_out=(
                    f"rabbitmq-server did not accept AMQP on {self.host}:{self.port} within "
                    f"{START_TIMEOUT_S:.0f} s; its log: {self._dir}/log"
                ),
            )
        except BaseException:
            self.stop()
            raise
        self.started_in_s = time.monotonic() - began
        return self

    def stop(self) -> None:
        """Stop the node (SIGTERM: a clean shutdown), then epmd; remove the data folder."""
        for attr in ("_proc", "_epmd"):
            proc = getattr(self, attr)
            setattr(self, attr, None)
            if proc is None:
                continue
            terminate(proc, grace_s=15)
            # Helpers the node started (inet_gethost, erl_child_setup) share its session.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None


def _amqp_answers(host: str, port: int) -> bool:
    """True once the broker answers the AMQP 0-9-1 protocol header with Connection.Start."""
    try:
        with socket.create_connection((host, port), timeout=1.0) as sock:
            sock.sendall(b"AMQP\x00\x00\x09\x01")
            frame = sock.recv(7)
    except OSError:
        return False
    return len(frame) == 7 and frame[0] == 1  # a METHOD frame (Connection.Start)
