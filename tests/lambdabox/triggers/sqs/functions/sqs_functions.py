"""Handlers for the SQS mapping tests, steered by message bodies and the environment.

Each invocation appends a `start` and (unless it dies) an `end` JSON line to $SQS_TEST_LOG.
Bodies: "fail" raises; "fail-once" raises the first time ($SQS_TEST_LOG.marks holds what
happened once); "crash-once" exits the runtime process; "sleep:S" / "sleep-once:S" sleep;
"item-fail" is reported in batchItemFailures. $SQS_TEST_RESPONSE (JSON) replaces the answer.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any


def _once(tag: str) -> bool:
    marks = os.environ["SQS_TEST_LOG"] + ".marks"
    seen: list[str] = []
    if os.path.exists(marks):
        with open(marks) as f:
            seen = f.read().split()
    if tag in seen:
        return False
    with open(marks, "a") as f:
        f.write(tag + "\n")
    return True


def _log(entry: dict[str, Any]) -> None:
    with open(os.environ["SQS_TEST_LOG"], "a") as f:
        f.write(json.dumps(entry) + "\n")
        f.flush()


def handler(event: dict[str, Any], context: Any) -> Any:
    records = event["Records"]
    ids = [r["messageId"] for r in records]
    _log(
        {
            "start": time.time(),
            "ids": ids,
            "bodies": [r["body"] for r in records],
            "counts": [r["attributes"]["ApproximateReceiveCount"] for r in records],
            "event": event if os.environ.get("SQS_TEST_EVENTS") else None,
        }
    )
    failures = []
    for r in records:
        body = r["body"]
        if body == "fail":
            raise RuntimeError("poisoned message")
        if body == "fail-once" and _once(r["messageId"]):
            raise RuntimeError("failing once")
        if body == "crash-once" and _once(r["messageId"]):
            os._exit(3)
        if body.startswith("sleep:"):
            time.sleep(float(body.split(":")[1]))
        if body.startswith("sleep-once:") and _once(r["messageId"]):
            time.sleep(float(body.split(":")[1]))
        if body.startswith("item-fail"):
            failures.append({"itemIdentifier": r["messageId"]})
    _log({"end": time.time(), "ids": ids})
    if "SQS_TEST_RESPONSE" in os.environ:
        return json.loads(os.environ["SQS_TEST_RESPONSE"])
    return {"batchItemFailures": failures}


def fifo_handler(event: dict[str, Any], context: Any) -> Any:
    """Process in order; at a "fail-once" body, report it and the rest of its group."""
    failures: list[dict[str, str]] = []
    broken: set[str] = set()
    done = []
    for r in event["Records"]:
        group = r["attributes"]["MessageGroupId"]
        if group in broken or (r["body"].startswith("fail-once") and _once(r["messageId"])):
            broken.add(group)
            failures.append({"itemIdentifier": r["messageId"]})
            continue
        done.append(r["body"])
    _log({"start": time.time(), "done": done, "ids": [r["messageId"] for r in event["Records"]]})
    return {"batchItemFailures": failures}
