"""`lambdabox up` as a real subprocess, and a two-function application to run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from lambdabox.services.moto_server import free_port

TWO_FUNCTIONS = """\
Transform: AWS::Serverless-2016-10-31
Parameters:
  Greeting: {Type: String, Default: hello}
Globals:
  Function:
    Runtime: python3.11
    Timeout: 5
Resources:
  HelloFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: hello/
      Handler: app.handler
      Layers: [!Ref Shared]
      Environment:
        Variables:
          GREETING: !Ref Greeting
          ORDERS_ARN: !GetAtt OrdersFunction.Arn
  OrdersFunction:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: orders-fn
      CodeUri: orders/
      Handler: app.handler
      ReservedConcurrentExecutions: 2
  Shared:
    Type: AWS::Serverless::LayerVersion
    Properties:
      ContentUri: layer/
  Role:
    Type: AWS::IAM::Role
"""
HELLO = """\
import os
import shared


def handler(event, context):
    return {
        "fn": context.function_name,
        "greeting": os.environ["GREETING"],
        "orders": os.environ["ORDERS_ARN"],
        "shared": shared.VALUE,
        "event": event,
    }
"""
ORDERS = """\
def handler(event, context):
    return {"fn": context.function_name, "arn": context.invoked_function_arn}
"""


@pytest.fixture
def two_functions(tmp_path: Path) -> Path:
    """A template folder: HelloFunction (with a layer) and OrdersFunction (named orders-fn)."""
    for name, text in {
        "template.yaml": TWO_FUNCTIONS,
        "hello/app.py": HELLO,
        "orders/app.py": ORDERS,
        "layer/python/shared.py": "VALUE = 'from the layer'\n",
    }.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def descendants(pid: int) -> set[int]:
    """Every process below `pid` (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


class Up:
    """A running `lambdabox up --json`: its listing, its ports, its output."""

    def __init__(self, proc: subprocess.Popen[str], port: int, http_port: int, err: Path):
        self.proc = proc
        self.port = port
        self.http_port = http_port
        self.err_path = err
        self.listing: dict[str, Any] = {}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stderr(self) -> str:
        return self.err_path.read_text()

    def wait_listing(self, timeout: float = 120) -> dict[str, Any]:
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        text = ""
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                raise AssertionError(f"lambdabox up exited early:\n{self.stderr()}")
            text += line
            if line.rstrip("\n") == "}":
                self.listing = json.loads(text)
                return self.listing
        raise AssertionError(f"no listing within {timeout} s:\n{self.stderr()}")

    def lambda_client(self) -> Any:
        import boto3  # type: ignore[import-untyped]
        from botocore.config import Config  # type: ignore[import-untyped]

        return boto3.client(
            "lambda",
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(retries={"max_attempts": 0}),
        )

    def invoke(self, name: str, event: Any = None) -> Any:
        answer = self.lambda_client().invoke(
            FunctionName=name, Payload=json.dumps(event or {}).encode()
        )
        return json.loads(answer["Payload"].read())

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
            raise


@pytest.fixture
def start_up(tmp_path: Path) -> Iterator[Callable[..., Up]]:
    """Start `lambdabox up --json ARGS` in a folder; stopped (SIGKILL if need be) afterwards."""
    started: list[Up] = []

    def start(*args: str, cwd: Path, listing: bool = True) -> Up:
        port, http_port = free_port(), free_port()
        err = tmp_path / f"up-{len(started)}.err"
        argv: Sequence[str] = [
            sys.executable, "-m", "lambdabox", "up", *args, "--json",
            "--port", str(port), "--http-port", str(http_port),
        ]  # fmt: skip
        with err.open("w") as err_file:
            proc = subprocess.Popen(
                argv,
                cwd=cwd,
                stdout=subprocess.PIPE,
                stderr=err_file,
                text=True,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        up = Up(proc, port, http_port, err)
        started.append(up)
        if listing:
            up.wait_listing()
        return up

    yield start
    for up in started:
        if up.proc.poll() is None:
            up.proc.kill()
            up.proc.wait(10)
        if up.proc.stdout is not None:
            up.proc.stdout.close()
