"""The Telemetry API (2022-07-01): subscriptions, batching and delivery over HTTP.

An extension subscribes with `PUT /2022-07-01/telemetry` and receives batches of
`{"time", "type", "record"}` events (platform lifecycle and function log lines) as JSON
arrays POSTed to its destination, flushed by `maxItems`, `maxBytes` or `timeoutMs`.
The older Logs API (`PUT /2020-08-15/logs`) subscribes the same way.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from lambdabox.emulator.extensions import Extensions
from lambdabox.emulator.httpserver import Request, Responder

TELEMETRY_PATH = "/2022-07-01/telemetry"
LOGS_PATH = "/2020-08-15/logs"
TYPES = frozenset({"platform", "function", "extension"})
_JSON = [("Content-Type", "application/json")]


def iso_time(moment: float) -> str:
    """`2019-11-14T18:16:05.568Z` for `moment` (time.time())."""
    import datetime as dt  # here: made only for a subscriber, not on a cold start's way

    stamp = dt.datetime.fromtimestamp(moment, dt.timezone.utc)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


def _error(responder: Responder, status: int, error_type: str, message: str) -> None:
    responder.send(
        status, _JSON, json.dumps({"errorMessage": message, "errorType": error_type}).encode()
    )


@dataclass
class Subscription:
    """One destination with its buffer; flushed in the background."""

    host: str
    port: int
    path: str
    types: frozenset[str]
    max_items: int = 1000
    max_bytes: int = 256 * 1024
    timeout_ms: int = 1000
    buffer: list[dict[str, Any]] = field(default_factory=list)
    size: int = 0
    timer: asyncio.TimerHandle | None = None


class Telemetry:
    """Subscriptions of one environment's extensions, and the events sent to them."""

    def __init__(self, extensions: Extensions) -> None:
        self._extensions = extensions
        self.subscriptions: list[Subscription] = []
        self._sending: set[asyncio.Future[None]] = set()
        # Events of the init phase (when, type, record), replayed to subscribers that
        # register during init.
        self._backlog: list[tuple[float, str, Any]] | None = []

    async def handle(self, request: Request, responder: Responder) -> bool:
        if request.path not in (TELEMETRY_PATH, LOGS_PATH) or request.method != "PUT":
            return False
        if self._extensions.lookup(request, responder) is None:
            return True
        try:
            sub = self._parse(json.loads(await request.body(1024 * 1024)))
        except (ValueError, KeyError, TypeError) as exc:
            _error(responder, 400, "ValidationError", f"Invalid subscription: {exc}")
            return True
        self.subscriptions.append(sub)
        for moment, kind, record in self._backlog or ():
            self._add(sub, {"time": iso_time(moment), "type": kind, "record": record})
        responder.send(200, [("Content-Type", "text/plain")], b"OK")
        return True

    @staticmethod
    def _parse(doc: dict[str, Any]) -> Subscription:
        destination = doc["destination"]
        if destination.get("protocol", "HTTP") != "HTTP":
            raise ValueError("only the HTTP protocol is supported")
        url = urlsplit(destination["URI"])
        if url.scheme != "http" or not url.port:
            raise ValueError("destination URI must be http://HOST:PORT/...")
        host = (
            "127.0.0.1"
            if url.hostname in ("sandbox.localdomain", "sandbox", None)
            else url.hostname
        )
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("destinations must be on this host (sandbox.localdomain)")
        types = frozenset(doc.get("types", ["platform", "function"]))
        if not types or not types <= TYPES:
            raise ValueError(f"types must be among {sorted(TYPES)}")
        buffering = doc.get("buffering", {})
        return Subscription(
            host=host,
            port=url.port,
            path=url.path or "/",
            types=types,
            max_items=int(buffering.get("maxItems", 1000)),
            max_bytes=int(buffering.get("maxBytes", 256 * 1024)),
            timeout_ms=int(buffering.get("timeoutMs", 1000)),
        )

    def emit(self, kind: str, record: Any) -> None:
        """Queue an event: kind 'platform.*', 'function' or 'extension'."""
        if not self.subscriptions and self._backlog is None:
            return
        moment = time.time()
        if self._backlog is not None and len(self._backlog) < 1000:
            self._backlog.append((moment, kind, record))
        if self.subscriptions:
            event = {"time": iso_time(moment), "type": kind, "record": record}
            for sub in self.subscriptions:
                self._add(sub, event)

    def end_of_init(self) -> None:
        """Subscriptions made from now on only get new events."""
        self._backlog = None

    def _add(self, sub: Subscription, event: dict[str, Any]) -> None:
        if str(event["type"]).split(".", 1)[0] not in sub.types:
            return
        sub.buffer.append(event)
        sub.size += len(json.dumps(event["record"])) + 64
        if len(sub.buffer) >= sub.max_items or sub.size >= sub.max_bytes:
            self._flush(sub)
        elif sub.timer is None:
            sub.timer = asyncio.get_running_loop().call_later(
                sub.timeout_ms / 1000, self._flush, sub
            )

    def _flush(self, sub: Subscription) -> None:
        if sub.timer is not None:
            sub.timer.cancel()
            sub.timer = None
        if not sub.buffer:
            return
        batch, sub.buffer, sub.size = sub.buffer, [], 0
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(None, _post, sub.host, sub.port, sub.path, batch)
        self._sending.add(future)
        future.add_done_callback(self._sending.discard)

    async def flush_all(self) -> None:
        for sub in self.subscriptions:
            self._flush(sub)
        if self._sending:
            await asyncio.wait(list(self._sending), timeout=2)

    def reset(self) -> None:
        for sub in self.subscriptions:
            if sub.timer is not None:
                sub.timer.cancel()
        self.subscriptions = []
        self._backlog = []


def _post(host: str, port: int, path: str, batch: list[dict[str, Any]]) -> None:
    """Deliver one batch; a listener that is gone loses the batch, as in the service."""
    import http.client  # only once something subscribed: it costs start-up otherwise

    conn = http.client.HTTPConnection(host, port, timeout=5)
    try:
        conn.request("POST", path, json.dumps(batch).encode(), {"Content-Type": "application/json"})
        conn.getresponse().read()
    except OSError:
        pass
    finally:
        conn.close()
