"""AWS SAM CLI's `sam local start-lambda --warm-containers EAGER` on the same image, with
its containers on the host network (see bench/sam_host.py for how, and why)."""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench import _venvs
from lambdabox.testing.processes import free_port

SAM_HOST = Path(__file__).resolve().parent / "sam_host.py"
FUNCTION = "Function"
TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  {function}:
    Type: AWS::Serverless::Function
    Properties:
      PackageType: Image
      ImageUri: {image}
      Timeout: 30
      MemorySize: 256
"""


@contextmanager
def serving(argv: list[str], work: Path, marker: bytes, limit_s: float) -> Iterator[None]:
    """Run a server command (SAM's, or lambdabox's next to it) in `work`, its output in a
    log file there; yield once `marker` shows up in it; stop it with Ctrl-C after."""
    log = work / f"{Path(argv[1]).name}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            argv,
            cwd=work,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "SAM_CLI_TELEMETRY": "0"},
        )
    try:
        deadline = time.monotonic() + limit_s
        while marker not in log.read_bytes():
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = log.read_bytes()[-600:].decode("utf-8", "replace")
                raise RuntimeError(f"{Path(argv[1]).name} did not start: {tail}")
            time.sleep(0.2)
        yield
    finally:
        proc.send_signal(2)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def start_lambda(image: str, limit_s: float = 180.0) -> Iterator[str]:
    """Yield the endpoint URL once SAM's warm container is up; stop SAM (Ctrl-C) after."""
    port = free_port()
    with tempfile.TemporaryDirectory() as work:
        template = Path(work) / "template.yaml"
        template.write_text(TEMPLATE.format(function=FUNCTION, image=image))
        argv = [
            str(_venvs.sam_python()),
            str(SAM_HOST),
            "local",
            "start-lambda",
            "-t",
            str(template),
            "--host",
            "127.0.0.1",
            "-p",
            str(port),
            "--warm-containers",
            "EAGER",
            "--skip-pull-image",
            "--container-host",
            "127.0.0.1",
        ]
        with serving(argv, Path(work), b"Running on http", limit_s):
            yield f"http://127.0.0.1:{port}"
