"""Where asynchronous invocation records go: the application's `DestinationSink`.

The asynchronous invocation machinery (`lambdabox.emulator.asyncinvoke`) hands each
OnSuccess/OnFailure record to `deliver(target_arn, record)` and each dead letter to
`deliver_dead_letter(target_arn, body, attributes)`: a function ARN of this application
becomes an Event invocation of that function (as the service does), an SQS queue ARN a
message on the endpoint through the sqs package's
`lambdabox.triggers.sqs.destinations.send(endpoint, arn, record, settings, dead_letter=)`.
Any other target is reported in one line with the record, so nothing is lost silently.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

from lambdabox.app.invoker import EmulatorInvoker
from lambdabox.triggers.ports import AppSettings, UnknownFunction


def _text(attribute: Any) -> str:
    """A message attribute's value (a `MessageAttribute` with `.value`, or plain text)."""
    if attribute is None:
        return ""
    return str(getattr(attribute, "value", attribute))


class DestinationError(Exception):
    """A record could not be delivered; the message names the target and the fix."""


class AppDestinations:
    """Deliver destination records to the application's functions and local queues."""

    def __init__(
        self,
        invoker: EmulatorInvoker,
        endpoint: str | None,
        say: Callable[[str], None],
        settings: Callable[[], AppSettings | None] = lambda: None,
    ) -> None:
        self._invoker = invoker
        self._endpoint = endpoint
        self._say = say
        self._settings = settings

    async def deliver(self, target_arn: str, record: bytes) -> None:
        """Send `record` (the service's invocation record JSON) to `target_arn`."""
        await self._send(target_arn, record, None)

    async def deliver_dead_letter(
        self, target_arn: str, body: bytes, attributes: Mapping[str, Any]
    ) -> None:
        """A dead letter (the original event) with RequestID/ErrorCode/ErrorMessage."""
        await self._send(target_arn, body, attributes)

    async def _send(
        self, target_arn: str, record: bytes, attributes: Mapping[str, Any] | None
    ) -> None:
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
            options: dict[str, Any] = {}
            if attributes is not None:
                options["dead_letter"] = module.DeadLetter(
                    request_id=_text(attributes.get("RequestID")),
                    error_message=_text(attributes.get("ErrorMessage")),
                    error_code=int(_text(attributes.get("ErrorCode")) or 200),
                )
            await module.send(self._endpoint, target_arn, record, self._settings(), **options)
            return
        self._say(
            f"destination {target_arn} is not run locally; the record was: "
            f"{record.decode('utf-8', 'replace')}"
        )
