"""A whole application for tests: `lambdabox up` in this process, on its own loop thread.

    def test_hello(lambda_app):
        assert lambda_app.invoke("HelloFunction", {"x": 1}).payload == {...}
        assert lambda_app.http.get("/hello").status_code == 200
        fired = lambda_app.schedule.advance(minutes=5)   # the invocations it caused
        assert "START RequestId" in lambda_app.logs("HelloFunction")

The application runs with a `ManualClock` (schedules fire only when the test advances
it), hot reload off, and free ports for the Invoke API and the HTTP front. Source helpers
(`app.sqs`, `app.kinesis`, `app.rabbitmq`) come from the source packages when installed.
"""

from __future__ import annotations

import asyncio
import importlib
import threading
import time
from collections.abc import Coroutine, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import requests

from lambdabox.app.application import Application
from lambdabox.app.config import AppConfig
from lambdabox.app.invoker import Call
from lambdabox.harness.clock import ManualClock
from lambdabox.harness.result import InvocationResult
from lambdabox.services.moto_server import free_port

_T = TypeVar("_T")
SOURCE_ATTRIBUTES = ("sqs", "kinesis", "dynamodb", "rabbitmq")


def _class(module: str, name: str) -> Any:
    """A class of an optional package (a source or the schedule package), or None."""
    try:
        return getattr(importlib.import_module(module), name)
    except ModuleNotFoundError:
        return None


def source_helpers(app: Application) -> dict[str, Any]:
    """The source packages' test helpers for a running application (those installed)."""
    found: dict[str, Any] = {}
    region = app.config.region
    sqs = _class("lambdabox.triggers.sqs.testing", "SqsHelper")
    if sqs is not None and app.endpoint is not None:
        found["sqs"] = sqs(app.endpoint, app.template)
    for attribute, name in (("kinesis", "KinesisHelper"), ("dynamodb", "DynamoDBHelper")):
        helper = _class("lambdabox.triggers.streams.testing", name)
        if helper is not None:
            found[attribute] = helper(app.endpoint, app.triggers, region)
    rabbit = _class("lambdabox.triggers.rabbitmq.testing", "RabbitHelper")
    if rabbit is not None:
        found["rabbitmq"] = rabbit(app.triggers, app.config.rabbitmq_url)
    return found


def manual_clock(start: float | None) -> Any:
    """The schedule package's ManualClock when installed (it reports firings), else ours."""
    clock = _class("lambdabox.triggers.schedule.clock", "ManualClock")
    if clock is None:
        return ManualClock(start)
    return clock(time.time() if start is None else start)


class HttpClient(requests.Session):
    """A requests session whose relative URLs ("/hello") go to the HTTP front."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.base_url = base_url

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        text = url.decode() if isinstance(url, bytes) else url
        if text.startswith("/"):
            text = self.base_url + text
        kwargs.setdefault("timeout", 60)
        return super().request(method, text, *args, **kwargs)


class ScheduleControl:
    """`advance(minutes=5)`: move the application's clock, return the invocations it caused
    (the schedule package's `Firing`s when it is installed, else the `Call`s made)."""

    def __init__(self, app: LambdaApp) -> None:
        self._app = app

    def advance(
        self, *, days: float = 0, hours: float = 0, minutes: float = 0, seconds: float = 0
    ) -> list[Any]:
        clock = self._app.clock
        if not isinstance(clock, ManualClock):  # the schedule package's: it knows firings
            fired: list[Any] = clock.advance(
                days=days, hours=hours, minutes=minutes, seconds=seconds
            )
            self._app.wait_idle()
            return fired
        total = ((days * 24 + hours) * 60 + minutes) * 60 + seconds
        start = len(self._app.calls)
        clock.advance(self._app.loop, total)
        self._app.wait_idle()
        return self._app.calls[start:]

    def now(self) -> float:
        return float(self._app.clock.now())


class LambdaApp:
    """An application from a template, running until `close()`."""

    def __init__(
        self,
        template: Path,
        *,
        parameter_overrides: Mapping[str, str] | None = None,
        mode: str | None = None,
        functions: Sequence[str] = (),
        env_vars: Path | None = None,
        retry_delay_scale: float = 0.001,
        start_time: float | None = None,
        import_values: Mapping[str, str] | None = None,
    ) -> None:
        self.clock = manual_clock(start_time)
        self.calls: list[Call] = []
        self.notes: list[str] = []  # warnings and trigger notes (lambdabox up's stderr lines)
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.config = AppConfig(
            template=template.resolve(),
            overrides=dict(parameter_overrides or {}),
            import_values=dict(import_values or {}),
            mode=mode,
            port=free_port(),
            http_port=free_port(),
            functions=tuple(functions),
            env_vars=env_vars,
            retry_delay_scale=retry_delay_scale,
            watch=False,
            clock=self.clock,
            say=self.notes.append,
        )
        self.app = Application(self.config)
        self.app.invoker.observe(self.calls.append)
        self.http = HttpClient(f"http://127.0.0.1:{self.config.http_port}")
        self.schedule = ScheduleControl(self)
        self._session = requests.Session()
        self.helpers: dict[str, Any] = {}

    def _call(self, coroutine: Coroutine[Any, Any, _T], timeout: float = 600) -> _T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def start(self) -> LambdaApp:
        self._thread.start()
        self._call(self.app.start())
        self.helpers = source_helpers(self.app)
        return self

    def __getattr__(self, name: str) -> Any:
        helpers = self.__dict__.get("helpers", {})
        if name in helpers:
            return helpers[name]
        raise AttributeError(
            f"LambdaApp has no {name!r}"
            + (" (its source package is not installed)" if name in SOURCE_ATTRIBUTES else "")
        )

    @property
    def invoke_url(self) -> str:
        assert self.app.router is not None
        return self.app.router.url

    def invoke(self, function: str, event: Any = None, *, timeout: float = 120) -> InvocationResult:
        """A RequestResponse invocation through the Invoke API, with its log lines."""
        import json

        url = f"{self.invoke_url}/2015-03-31/functions/{function}/invocations"
        body = json.dumps({} if event is None else event).encode()
        resp = self._session.post(
            url, data=body, timeout=timeout, headers={"X-Amz-Log-Type": "Tail"}
        )
        request_id = resp.headers.get("x-amzn-RequestId", "")
        logs: list[str] = []
        if resp.status_code == 200:
            logs = [line for line in self.logs(function).splitlines() if request_id in line]
        return InvocationResult.from_response(resp, logs)

    def logs(self, function: str) -> str:
        """Everything the function logged so far (START/END/REPORT included)."""
        emulator = self.app.invoker.emulator(function)  # UnknownFunction names the known ones
        key = next(k for k, e in self.app.invoker.functions().items() if e is emulator)
        return "\n".join(self.app.logs.lines(key))

    def wait_idle(self, timeout: float = 30, quiet_s: float = 0.1) -> None:
        """Wait until no invocation has started or been running for `quiet_s`."""
        deadline = time.monotonic() + timeout
        seen = -1
        while time.monotonic() < deadline:
            busy = any(
                env.reserved > 0
                for e in self.app.invoker.functions().values()
                for env in e.pool.environments
            )
            if len(self.calls) == seen and not busy:
                return
            seen = len(self.calls)
            time.sleep(quiet_s)

    def close(self) -> None:
        try:
            self._call(self.app.close(), 120)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(10)
            self.loop.close()
            self.http.close()
            self._session.close()
