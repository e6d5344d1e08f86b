"""`lambdabox invoke`: call a function through the Invoke API and show what came back."""

from __future__ import annotations

import argparse
import base64
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

if TYPE_CHECKING:
    import requests

DESCRIPTION = (
    "POST an event to the Invoke API (the emulator's, or any compatible one) and print the "
    "result, the function error if any and the REPORT line."
)
REPORT = re.compile(r"^REPORT RequestId: .*$", re.MULTILINE)


@dataclass(frozen=True)
class InvokeResult:
    """One answer from the Invoke API."""

    status: int
    payload: bytes
    function_error: str | None
    request_id: str | None
    log_tail: str

    @property
    def report(self) -> str | None:
        found = REPORT.findall(self.log_tail)
        return found[-1] if found else None


def invoke(
    url: str,
    payload: bytes,
    *,
    invocation_type: str = "RequestResponse",
    client_context: str | None = None,
    session: requests.Session | None = None,
    timeout_s: float = 930.0,
) -> InvokeResult:
    """POST one invocation (always asking for the log tail) and return what came back."""
    import requests

    headers = {
        "X-Amz-Invocation-Type": invocation_type,
        "X-Amz-Log-Type": "Tail",
        "Content-Type": "application/json",
    }
    if client_context is not None:
        headers["X-Amz-Client-Context"] = base64.b64encode(client_context.encode()).decode()
    http = session or requests.Session()
    try:
        resp = http.post(url, data=payload, headers=headers, timeout=(5, timeout_s))
    finally:
        if session is None:
            http.close()
    tail = resp.headers.get("X-Amz-Log-Result", "")
    return InvokeResult(
        status=resp.status_code,
        payload=resp.content,
        function_error=resp.headers.get("X-Amz-Function-Error"),
        request_id=resp.headers.get("x-amzn-RequestId"),
        log_tail=base64.b64decode(tail).decode("utf-8", "replace") if tail else "",
    )


APP_PORT = 3001  # `lambdabox up`'s Invoke API


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "name",
        nargs="?",
        metavar="NAME",
        help="a function of `lambdabox up` (FunctionName, logical id or ARN); without "
        f"--url/--port its Invoke API on 127.0.0.1:{APP_PORT} is used",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--url", help="the emulator's base URL (default http://127.0.0.1:8080)")
    where.add_argument("--port", type=int, help="the emulator's port on 127.0.0.1")
    parser.add_argument("--function", default="function", help="function name in the path")
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--payload", help="the event as JSON text (default {})")
    what.add_argument("--event", type=Path, help="a file holding the event")
    parser.add_argument(
        "--invocation-type",
        choices=("RequestResponse", "Event", "DryRun"),
        default="RequestResponse",
    )
    parser.add_argument(
        "--log-type",
        choices=("None", "Tail"),
        default="None",
        help="Tail prints the invocation's log",
    )
    parser.add_argument("--client-context", metavar="JSON", help="client context object")
    parser.add_argument("--json", action="store_true", help="print one JSON document")


def run(args: argparse.Namespace) -> int:
    default_port = APP_PORT if args.name else 8080
    base = args.url or f"http://127.0.0.1:{args.port or default_port}"
    function = quote(args.name or args.function, safe="")
    url = f"{base.rstrip('/')}/2015-03-31/functions/{function}/invocations"
    import requests

    payload = args.event.read_bytes() if args.event else (args.payload or "{}").encode()
    try:
        result = invoke(
            url, payload, invocation_type=args.invocation_type, client_context=args.client_context
        )
    except requests.RequestException as exc:
        sys.stderr.write(f"lambdabox invoke: cannot reach {url}: {exc}. Is the emulator running?\n")
        return 1
    if args.json:
        doc = {
            "status": result.status,
            "requestId": result.request_id,
            "functionError": result.function_error,
            "report": result.report,
            "payload": result.payload.decode("utf-8", "replace"),
        }
        if args.log_type == "Tail":
            doc["log"] = result.log_tail
        print(json.dumps(doc, indent=2))
    else:
        if args.log_type == "Tail" and result.log_tail:
            print(result.log_tail.rstrip("\n"))
        print(result.payload.decode("utf-8", "replace"))
        if result.function_error:
            print(f"function error: {result.function_error}", file=sys.stderr)
        if result.report and args.log_type != "Tail":
            print(result.report.rstrip("\t"), file=sys.stderr)
    if result.status >= 300 or result.function_error:
        return 1
    return 0
