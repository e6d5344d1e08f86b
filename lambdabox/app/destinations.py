"""Where asynchronous invocation records go: the application's `DestinationSink`.

The asynchronous invocation machinery (`lambdabox.emulator.asyncinvoke`) hands each
OnSuccess/OnFailure/dead-letter record to `deliver(target_arn, record)`:
a function ARN of this application becomes an Event invocation of that function (as the
service does), an SQS queue ARN a message sent to the local endpoint through the sqs
package's `lambdabox.triggers.sqs.destinations.send(endpoint, arn, record)`. Any other
target is reported in one line and the record printed, so nothing is lost silently.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
from collections.abc import Callable

from lambdabox.app.invoker import EmulatorInvoker
from lambdabox.triggers.ports import UnknownFunction


class DestinationError(Exception):
    """A record could not be delivered; the message names the target and the fix."""


class AppDestinations:
    """Deliver destination records to the application's functions and local queues."""

    def __init__(
        self, invoker: EmulatorInvoker, endpoint: str | None, say: Callable[[str], None]
    ) -> None:
        self._invoker = invoker
        self._endpoint = endpoint
        self._say = say

    async def deliver(self, target_arn: str, record: bytes) -> None:
        """Send `record` (the service's invocation record JSON) to `target_arn`."""
        service = target_arn.split(":")[2] if target_arn.count(":") >= 5 else ""
        if service == "lambda":
            try:
                await self._invoker.invoke_event(target_arn, record)
            except UnknownFunction:
                raise DestinationError(
                    f"destination {target_arn} is not a function of this application; "
                    "point DestinationConfig at one of its functions"
                ) from None
            return
        if service == "sqs":
            if self._endpoint is None:
                raise DestinationError(
                    f"destination {target_arn}: no SQS endpoint (declare the queue in the "
                    "template, or pass --sqs-endpoint)"
                )
            try:
                module = importlib.import_module("lambdabox.triggers.sqs.destinations")
            except ModuleNotFoundError:
                raise DestinationError(
                    f"destination {target_arn}: SQS destinations need lambdabox.triggers.sqs"
                ) from None
            send = module.send
            if inspect.iscoroutinefunction(send):
                await send(self._endpoint, target_arn, record)
            else:
                loop = asyncio.get_running_loop()
                await loop.run_in_executor(None, send, self._endpoint, target_arn, record)
            return
        self._say(
            f"destination {target_arn} is not run locally; the record was: "
            f"{record.decode('utf-8', 'replace')}"
        )
