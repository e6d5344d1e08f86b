"""`make demo`: the sample function under `lambdabox emulate`, invoked through the Invoke API.

It starts the emulator as its own process (as a user would), with the runtime interface
client as the runtime, invokes the function twice and prints results and REPORT lines.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from lambdabox.invoke import InvokeResult, invoke
from lambdabox.testing.processes import emulate_command, free_port

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "hello"


def _wait_until_up(url: str, proc: subprocess.Popen[bytes]) -> InvokeResult:
    deadline = time.monotonic() + 30
    while True:
        try:
            return invoke(url, b'{"name": "lambdabox"}')
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    "the emulator did not start; run it by hand to see why"
                ) from None
            time.sleep(0.05)


DESCRIPTION = (
    "Start `lambdabox emulate` with the sample function (examples/hello) and the runtime "
    "interface client, invoke it twice, and print the results with their REPORT lines."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON document")


def run(args: argparse.Namespace) -> int:
    return main(json_output=args.json)


def main(json_output: bool = False) -> int:
    port = free_port()
    command = emulate_command(port, [sys.executable, "-m", "runtime_interface", "app.handler"])
    env = {
        **os.environ,
        "AWS_LAMBDA_FUNCTION_NAME": "hello",
        "AWS_LAMBDA_FUNCTION_TIMEOUT": "3",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
    }
    url = f"http://127.0.0.1:{port}/2015-03-31/functions/function/invocations"
    started = time.monotonic()
    proc = subprocess.Popen(
        command, cwd=EXAMPLE, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        first = _wait_until_up(url, proc)
        cold_ms = (time.monotonic() - started) * 1000
        second = invoke(url, b'{"name": "again"}')
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=10)
    results = [first, second]
    if json_output:
        doc = {
            "cold_start_ms": round(cold_ms, 1),
            "invocations": [
                {
                    "payload": json.loads(r.payload),
                    "functionError": r.function_error,
                    "report": r.report,
                }
                for r in results
            ],
        }
        print(json.dumps(doc, indent=2))
        return 0
    print(
        f"$ lambdabox emulate --listen 127.0.0.1:{port} -- python -m runtime_interface app.handler"
    )
    print(f"emulator up and first answer after {cold_ms:.0f} ms")
    for r in results:
        print(f"invoke -> {r.payload.decode()}")
        print(f"         {(r.report or '').strip()}")
    print("emulator log:")
    for line in output.decode("utf-8", "replace").splitlines():
        print("  " + line)
    return 0 if all(r.status == 200 and not r.function_error for r in results) else 1


if __name__ == "__main__":
    sys.exit(main("--json" in sys.argv))
