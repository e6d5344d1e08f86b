"""`lambdabox up` as a real subprocess, for tests: start it, read its listing, stop it.

    with UpLauncher(tmp_path) as launcher:
        up = launcher.start(cwd=app_folder)          # waits for the --json listing
        up.invoke("HelloFunction", {"x": 1})        # through boto3 on its Invoke API
        assert up.stop() == 0                        # SIGTERM

`descendants(pid)` and `alive(pid)` (from /proc) check that nothing is left behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from lambdabox.services.moto_server import free_port


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


class UpProcess:
    """A running `lambdabox up --json`: its listing, its ports, its output."""

    def __init__(self, proc: subprocess.Popen[str], port: int, http_port: int, err: Path) -> None:
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
        import boto3
        from botocore.config import Config

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

    def kill_tree(self) -> None:
        """SIGKILL `lambdabox up` and then every process below it (as when the machine or
        container it runs in dies): nothing gets to clean up or finish its batch."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.proc.pid, signal.SIGSTOP)  # frozen first, so no child outlives it
        below = descendants(self.proc.pid)
        for pid in below:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGSTOP)
        self.proc.kill()
        for pid in below:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.proc.wait(10)


class UpLauncher:
    """Starts `lambdabox up --json ARGS` processes on free ports; kills what is left on exit."""

    def __init__(self, logs: Path) -> None:
        self._logs = logs
        self.started: list[UpProcess] = []

    def start(self, *args: str, cwd: Path, listing: bool = True) -> UpProcess:
        port, http_port = free_port(), free_port()
        err = self._logs / f"up-{len(self.started)}.err"
        argv = [
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
        up = UpProcess(proc, port, http_port, err)
        self.started.append(up)
        if listing:
            up.wait_listing()
        return up

    def close(self) -> None:
        for up in self.started:
            if up.proc.poll() is None:  # stopped as Ctrl-C would (its moto/broker too) ...
                up.proc.terminate()
                try:
                    up.proc.wait(20)
                except subprocess.TimeoutExpired:  # ... else nothing below it survives
                    up.kill_tree()
            if up.proc.stdout is not None:
                up.proc.stdout.close()

    def __enter__(self) -> UpLauncher:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
