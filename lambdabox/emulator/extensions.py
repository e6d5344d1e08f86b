"""The Extensions API (2020-01-01): registration, INVOKE/SHUTDOWN events, error reports.

One `Extensions` registry per environment. External extensions are the executables in
the extensions directory (`/opt/extensions` in an image), started before the runtime.
Init completes once the runtime and every registered extension have asked for their
next event; an invocation ends, for the environment, once they have asked again.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from lambdabox.emulator.httpserver import Request, Responder
from lambdabox.emulator.ids import uuid4

PREFIX = "/2020-01-01/extension"
MAX_EXTENSIONS = 10
EVENT_TYPES = frozenset({"INVOKE", "SHUTDOWN"})
_JSON = [("Content-Type", "application/json")]


def _error(responder: Responder, status: int, error_type: str, message: str) -> None:
    body = json.dumps({"errorMessage": message, "errorType": error_type}).encode()
    responder.send(status, _JSON, body)


@dataclass
class Extension:
    """A registered extension and its pending events."""

    name: str
    events: frozenset[str]
    identifier: str = field(default_factory=uuid4)
    queue: deque[dict[str, object]] = field(default_factory=deque)
    ready: bool = False  # blocked on event/next with nothing to deliver
    wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    errors: list[tuple[str, str]] = field(default_factory=list)


def discover(directory: str | None) -> list[str]:
    """Executables in the extensions directory, in name order (as the service starts them)."""
    if not directory or not os.path.isdir(directory):
        return []
    return sorted(
        str(path)
        for path in Path(directory).iterdir()
        if path.is_file() and os.access(path, os.X_OK)
    )


class Extensions:
    """Registry and Extensions API handlers for one environment."""

    def __init__(self, function_name: str, function_version: str, handler: str) -> None:
        self._info = {
            "functionName": function_name,
            "functionVersion": function_version,
            "handler": handler,
        }
        self.registered: dict[str, Extension] = {}
        self.registration_open = True
        self._changed = asyncio.Event()
        self.on_change: Callable[[], None] = lambda: None

    def reset(self) -> None:
        """A fresh environment (after a reset): nothing registered, registration open."""
        self.registered.clear()
        self.registration_open = True

    def all_ready(self) -> bool:
        return all(ext.ready for ext in self.registered.values())

    async def wait_all_ready(self) -> None:
        while not self.all_ready():
            self._changed.clear()
            await self._changed.wait()

    def publish(self, event: dict[str, object]) -> None:
        """Queue an event for every extension subscribed to its type."""
        for ext in self.registered.values():
            if event["eventType"] in ext.events:
                ext.queue.append(event)
                ext.ready = False
                ext.wakeup.set()

    def invoke_event(self, request_id: str, deadline_ms: int, arn: str, trace_id: str) -> None:
        self.publish(
            {
                "eventType": "INVOKE",
                "deadlineMs": deadline_ms,
                "requestId": request_id,
                "invokedFunctionArn": arn,
                "tracing": {"type": "X-Amzn-Trace-Id", "value": trace_id},
            }
        )

    def shutdown_event(self, reason: str, grace_s: float) -> None:
        self.publish(
            {
                "eventType": "SHUTDOWN",
                "shutdownReason": reason,
                "deadlineMs": int((time.time() + grace_s) * 1000),
            }
        )

    def subscribers(self) -> list[Extension]:
        return list(self.registered.values())

    def lookup(self, request: Request, responder: Responder) -> Extension | None:
        identifier = request.headers.get("lambda-extension-identifier")
        if not identifier:
            _error(
                responder,
                403,
                "Extension.MissingExtensionIdentifier",
                "Missing Lambda-Extension-Identifier header",
            )
            return None
        ext = self.registered.get(identifier)
        if ext is None:
            _error(
                responder,
                403,
                "Extension.InvalidExtensionIdentifier",
                f"Unknown extension {identifier}",
            )
        return ext

    async def handle(self, request: Request, responder: Responder) -> bool:
        """Serve an Extensions API request; False when the path is not ours."""
        path, method = request.path, request.method
        if path == PREFIX + "/register" and method == "POST":
            await self._register(request, responder)
        elif path == PREFIX + "/event/next" and method == "GET":
            await self._next(request, responder)
        elif path in (PREFIX + "/init/error", PREFIX + "/exit/error") and method == "POST":
            ext = self.lookup(request, responder)
            if ext is not None:
                kind = request.headers.get(
                    "lambda-extension-function-error-type", "Extension.Unknown"
                )
                ext.errors.append(
                    (kind, (await request.body(1024 * 1024)).decode("utf-8", "replace"))
                )
                responder.send(202, _JSON, b'{"status":"OK"}')
        else:
            return False
        return True

    async def _register(self, request: Request, responder: Responder) -> None:
        name = request.headers.get("lambda-extension-name", "")
        body = await request.body(1024 * 1024)
        if not name:
            _error(
                responder, 403, "Extension.InvalidExtensionName", "Missing Lambda-Extension-Name"
            )
            return
        if not self.registration_open:
            _error(
                responder, 403, "Extension.RegistrationClosed", "Registration is closed after init"
            )
            return
        if len(self.registered) >= MAX_EXTENSIONS:
            _error(
                responder,
                403,
                "Extension.TooManyExtensions",
                f"At most {MAX_EXTENSIONS} extensions can register",
            )
            return
        try:
            events = frozenset(json.loads(body or b"{}").get("events", []))
        except (ValueError, AttributeError, TypeError):
            _error(responder, 403, "Extension.InvalidEventType", 'Body must be {"events": [...]}')
            return
        if not events <= EVENT_TYPES:
            bad = ", ".join(sorted(events - EVENT_TYPES))
            _error(responder, 403, "Extension.InvalidEventType", f"Unknown event types: {bad}")
            return
        ext = Extension(name, events)
        self.registered[ext.identifier] = ext
        info = dict(self._info)
        features = request.headers.get("lambda-extension-accept-feature", "")
        if "accountId" in features:
            info["accountId"] = os.environ.get("AWS_ACCOUNT_ID", "012345678912")
        responder.send(
            200,
            [*_JSON, ("Lambda-Extension-Identifier", ext.identifier)],
            json.dumps(info).encode(),
        )

    async def _next(self, request: Request, responder: Responder) -> None:
        ext = self.lookup(request, responder)
        if ext is None:
            return
        while not ext.queue:
            ext.ready = True
            self._changed.set()
            self.on_change()
            ext.wakeup.clear()
            gone = asyncio.ensure_future(request.wait_disconnected())
            woken = asyncio.ensure_future(ext.wakeup.wait())
            await asyncio.wait([gone, woken], return_when=asyncio.FIRST_COMPLETED)
            gone.cancel()
            woken.cancel()
            if request.disconnected:
                return
        ext.ready = False
        event = ext.queue.popleft()
        headers = [*_JSON, ("Lambda-Extension-Event-Identifier", uuid4())]
        responder.send(200, headers, json.dumps(event).encode())
