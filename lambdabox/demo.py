"""`make demo`: run the sample function with the runtime interface client and invoke it.

Until the emulator lands, the Runtime API is the strict test server from
`lambdabox.testing`; the client runs as a real process, exactly as in an image.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from lambdabox.testing import RuntimeAPIServer

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "hello"


def main(json_output: bool = False) -> int:
    events = [{"name": "lambdabox"}, {"name": "again"}]
    results = []
    with RuntimeAPIServer() as api:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "AWS_LAMBDA_RUNTIME_API": api.address,
            "AWS_LAMBDA_FUNCTION_NAME": "hello",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
        }
        started = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, "-m", "runtime_interface", "app.handler"],
            cwd=EXAMPLE,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        try:
            for event in events:
                sent = time.monotonic()
                out = api.enqueue(event, timeout_s=3).wait(30)
                results.append(
                    {
                        "event": event,
                        "kind": out.kind,
                        "result": out.json(),
                        "ms": round((time.monotonic() - sent) * 1000, 2),
                    }
                )
            first_next = api.wait_first_next(0)
        finally:
            proc.terminate()
            logs, _ = proc.communicate(timeout=10)
    startup = round(((first_next or started) - started) * 1000, 1)
    if json_output:
        print(json.dumps({"startup_ms": startup, "invocations": results}, indent=2))
        return 0
    print(f"runtime started and polled /next after {startup} ms")
    for r in results:
        print(f"invoke {json.dumps(r['event'])} -> {json.dumps(r['result'])}  ({r['ms']} ms)")
    print("function log:")
    for line in logs.decode("utf-8", "replace").splitlines():
        print("  " + line)
    return 0


if __name__ == "__main__":
    sys.exit(main("--json" in sys.argv))
