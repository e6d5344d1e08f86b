"""Helpers for starting lambdabox pieces as real processes (tests, benchmarks, demo)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import requests

INVOKE_PATH = "/2015-03-31/functions/function/invocations"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def first_invoke(port: int, timeout: float = 30) -> requests.Response:
    """POST `{}` to the Invoke API on 127.0.0.1:`port` until the emulator answers (it may
    still be starting); its answer. AssertionError after `timeout` seconds."""
    import requests

    deadline = time.monotonic() + timeout
    while True:
        try:
            return requests.post(f"http://127.0.0.1:{port}{INVOKE_PATH}", json={}, timeout=20)
        except requests.ConnectionError:
            assert time.monotonic() < deadline, "the emulator never answered"
            time.sleep(0.01)


def emulate_command(port: int, runtime: Sequence[str], *options: str) -> list[str]:
    """`lambdabox emulate` on 127.0.0.1:`port` (Runtime API on a free port) for `runtime`."""
    return [
        sys.executable,
        "-m",
        "lambdabox",
        "emulate",
        "--listen",
        f"127.0.0.1:{port}",
        "--runtime-api-address",
        "127.0.0.1:0",
        *options,
        "--",
        *runtime,
    ]


def run_command(port: int, image: str, *options: str) -> list[str]:
    """`lambdabox run IMAGE` on 127.0.0.1:`port` (Runtime API on a free port)."""
    return [
        sys.executable,
        "-m",
        "lambdabox",
        "run",
        image,
        "--listen",
        f"127.0.0.1:{port}",
        "--runtime-api-address",
        "127.0.0.1:0",
        *options,
    ]


def make_venv(venv: Path, requirement: str, key: str = "") -> Path:
    """A virtualenv with `requirement` installed and byte-compiled; rebuilt when `key` changes.

    Returns its python. Used for anchors such as awslambdaric from PyPI.
    """
    python = venv / "bin" / "python"
    stamp = venv / ".lambdabox-ready"
    wanted = f"{requirement} {key}"
    if stamp.exists() and stamp.read_text() == wanted:
        return python
    print(f"preparing {venv.name} ({requirement})", file=sys.stderr, flush=True)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-cache-dir",
            requirement,
        ],
        check=True,
    )
    subprocess.run([str(python), "-m", "compileall", "-q", str(venv / "lib")], check=False)
    stamp.write_text(wanted)
    return python
