"""Test helpers for the HTTP front: an application of real functions (runtime_interface
processes under the emulator, process mode) behind the real HTTP front on its own event loop
thread, templates built from the model as the resolver produces them, a plain HTTP client."""

from __future__ import annotations

import asyncio
import http.client
import os
import sys
import threading
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from lambdabox.app.invoker import EmulatorInvoker
from lambdabox.emulator.config import EmulatorConfig, FunctionConfig
from lambdabox.emulator.server import Emulator
from lambdabox.template.model import Resource, Template
from lambdabox.triggers import http as http_triggers
from lambdabox.triggers.http import ApiFront, UrlFront
from lambdabox.triggers.ports import AppSettings, Trigger

MODULE = "http_front_handlers"
_T = TypeVar("_T")


@dataclass(frozen=True)
class Fn:
    """A function of the test application: its handler and environments."""

    handler: str
    environments: int = 2
    timeout_s: float = 3.0


def function(logical_id: str, events: Mapping[str, Any] | None = None, **props: Any) -> Resource:
    """An `AWS::Serverless::Function` as the resolver produces it."""
    properties = {"Handler": f"{MODULE}.x", "Runtime": "python3.11", **props}
    if events is not None:
        properties["Events"] = dict(events)
    return Resource(logical_id, "AWS::Serverless::Function", properties)


def http_event(path: str, method: str, **props: Any) -> dict[str, Any]:
    return {"Type": "HttpApi", "Properties": {"Path": path, "Method": method, **props}}


def rest_event(path: str, method: str, **props: Any) -> dict[str, Any]:
    return {"Type": "Api", "Properties": {"Path": path, "Method": method, **props}}


def template(tmp: Path, *resources: Resource) -> Template:
    return Template(path=tmp / "template.yaml", resources={r.path: r for r in resources})


class FrontApp:
    """Functions under emulators and the HTTP front's triggers, on a loop thread."""

    def __init__(
        self, tpl: Template, functions: Mapping[str, Fn], record_dir: Path, handlers: Path
    ) -> None:
        """`handlers` is the folder holding the `http_front_handlers` module."""
        self.template = tpl
        self.handlers = handlers
        self.functions = functions
        self.record_dir = record_dir
        self.lines: list[str] = []
        self.notes: list[str] = []
        self.triggers: list[Trigger] = []
        self.emulators: dict[str, Emulator] = {}
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def call(self, coroutine: Coroutine[Any, Any, _T], timeout: float = 60) -> _T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def start(self) -> FrontApp:
        self._thread.start()
        self.call(self._start())
        return self

    async def _start(self) -> None:
        for logical_id, fn in self.functions.items():
            handler = f"{MODULE}.{fn.handler}"
            config = EmulatorConfig(
                command=(sys.executable, "-m", "runtime_interface", handler),
                function=FunctionConfig(name=logical_id.replace(".", "-"), timeout_s=fn.timeout_s),
                cwd=str(self.handlers),
                handler=handler,
                runtime_env={"RECORD_DIR": str(self.record_dir), "PATH": os.environ["PATH"]},
                invoke_port=0,
                runtime_api_port=0,
                max_concurrency=fn.environments,
                log_level="error",
            )
            emulator = Emulator(config, log=self.lines.append)
            await emulator.start()
            self.emulators[logical_id] = emulator
        self.invoker = EmulatorInvoker(self.emulators)
        settings = AppSettings(http_port=0, notes=self.notes.append)
        self.triggers = list(http_triggers.triggers(self.template, self.invoker, settings))
        for trigger in self.triggers:
            await trigger.start()

    def close(self) -> None:
        async def stop() -> None:
            for trigger in self.triggers:
                await trigger.close()
            for emulator in self.emulators.values():
                await emulator.close()

        try:
            self.call(stop())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._loop.close()

    @property
    def api(self) -> str:
        """The base URL of the API front."""
        return next(t.base_url for t in self.triggers if isinstance(t, ApiFront))

    def function_url(self, function: str) -> str:
        return next(
            t.base_url
            for t in self.triggers
            if isinstance(t, UrlFront) and t.url.function == function
        )


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def all(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]


def request(
    method: str,
    url: str,
    headers: list[tuple[str, str]] | None = None,
    body: bytes | None = None,
    timeout: float = 30,
) -> Response:
    """One HTTP/1.1 request with exactly the given header fields (repeats kept)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=timeout)
    try:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        conn.putrequest(method, target or "/", skip_accept_encoding=True)
        for name, value in headers or []:
            conn.putheader(name, value)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        resp = conn.getresponse()
        data = resp.read()
        return Response(resp.status, resp.getheaders(), data)
    finally:
        conn.close()
