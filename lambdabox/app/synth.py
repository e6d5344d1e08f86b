"""`lambdabox up` without a template: a one-function template made from the flags.

`--handler app.handler [--code DIR]` gives a Python zip function (process mode) and
`--image IMAGE` an image function (container mode); `--schedule EXPR` adds Schedule
events, `--sqs QUEUE` SQS events (a queue URL or ARN as given; a bare name declares that
queue locally), and the function answers every HTTP request on `--http-port` (an HttpApi
`$default` route). The result is an ordinary template document, so everything after this
goes through the same path as a template file.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

LOGICAL_ID = "Function"
_QUEUE_URL = re.compile(r"^https?://[^/]+/(\d{12})/([^/]+)$")


def _queue_event(queue: str, index: int, resources: dict[str, Any], region: str) -> dict[str, Any]:
    match = _QUEUE_URL.match(queue)
    if queue.startswith("arn:"):
        arn: Any = queue
    elif match:
        arn = f"arn:aws:sqs:{region}:{match.group(1)}:{match.group(2)}"
    else:
        logical_id = f"Queue{index + 1}"
        props: dict[str, Any] = {"QueueName": queue}
        if queue.endswith(".fifo"):
            props["FifoQueue"] = True
        resources[logical_id] = {"Type": "AWS::SQS::Queue", "Properties": props}
        arn = {"Fn::GetAtt": [logical_id, "Arn"]}
    return {"Type": "SQS", "Properties": {"Queue": arn}}


def synthesise(
    *,
    handler: str | None,
    image: str | None,
    code: Path,
    schedules: Sequence[str] = (),
    queues: Sequence[str] = (),
    timeout_s: int = 30,
    region: str = "us-east-1",
) -> dict[str, Any]:
    """The template document for one function and its triggers."""
    props: dict[str, Any] = {"Timeout": timeout_s, "MemorySize": 512}
    if image is not None:
        props.update(PackageType="Image", ImageUri=image)
        if handler:
            props["ImageConfig"] = {"Command": [handler]}
    else:
        version = f"python{sys.version_info.major}.{sys.version_info.minor}"
        props.update(Handler=handler, Runtime=version, CodeUri=str(code.resolve()))
    resources: dict[str, Any] = {}
    events: dict[str, Any] = {"Http": {"Type": "HttpApi"}}
    for index, expression in enumerate(schedules):
        events[f"Schedule{index + 1}"] = {
            "Type": "Schedule",
            "Properties": {"Schedule": expression},
        }
    for index, queue in enumerate(queues):
        events[f"Queue{index + 1}Event"] = _queue_event(queue, index, resources, region)
    props["Events"] = events
    resources[LOGICAL_ID] = {"Type": "AWS::Serverless::Function", "Properties": props}
    return {"Transform": "AWS::Serverless-2016-10-31", "Resources": resources}
