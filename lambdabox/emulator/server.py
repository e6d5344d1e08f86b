"""The emulator: an Invoke API endpoint in front of a pool of runtime environments."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from lambdabox.emulator import prestart, startup
from lambdabox.emulator.config import EmulatorConfig
from lambdabox.emulator.driver import ProcessDriver
from lambdabox.emulator.environment import Launch
from lambdabox.emulator.httpserver import INVOKE_API, HTTPServer, Limits, Refusal
from lambdabox.emulator.invoke_api import InvokeAPI
from lambdabox.emulator.loglevel import DEBUG, INFO, WARN, Handler, logged_handler, parse_level
from lambdabox.emulator.pool import Pool
from lambdabox.emulator.runtime_env import runtime_environment

if TYPE_CHECKING:
    from lambdabox.emulator.asyncinvoke import AsyncInvoker

__all__ = ["Emulator", "runtime_environment"]


def _invoke_limits(config: EmulatorConfig) -> Limits:
    """The Invoke API's bounds; its 503 over the cap in the shape of its service errors
    (`x-amzn-ErrorType` header, `{"Type", "message"}` body)."""
    message = (
        f"the Invoke API serves at most {config.max_connections} connections at once: "
        "close idle connections (or reuse them) and retry, or raise --max-connections"
    )
    body = json.dumps({"Type": "Service", "message": message}).encode()
    headers = (("Content-Type", "application/json"), ("x-amzn-ErrorType", "ServiceException"))
    return replace(
        INVOKE_API,
        max_connections=config.max_connections,
        idle_timeout=config.idle_timeout_s,
        refusal=Refusal(headers, body),
    )


class Emulator:
    """Start, serve, stop. `log` receives function output and START/END/REPORT lines."""

    def __init__(
        self,
        config: EmulatorConfig,
        log: Callable[[str], None] | None = None,
        notes: Callable[[str], None] | None = None,
    ) -> None:
        """`log` gets the function's log (stdout by default); `notes` the emulator's own
        messages at or above `config.log_level` (stderr by default)."""
        self.config = config
        self._log = log or _print
        self.level = parse_level(config.log_level)
        self._notes = notes or _note
        debug = self._notes if self.level <= DEBUG else None
        driver = config.driver or ProcessDriver(config.command, config.cwd)
        base = {} if config.driver is not None else dict(os.environ)
        extensions = config.extensions_dir if config.driver is None else None
        launch = Launch(
            driver,
            runtime_environment(config, base),
            extensions,
            debug,
            warn=lambda line: self.note(WARN, line),
            runtime_api_peers=config.runtime_api_peers,
        )
        self.pool = Pool(
            launch,
            host=config.runtime_api_host,
            first_port=config.runtime_api_port,
            max_environments=config.max_concurrency,
            capacity=config.runtime_concurrency,
            init_timeout_s=config.init_timeout_s,
            log=self._log,
        )
        # A journal to resume is opened now (its errors stop the start); otherwise the
        # Event queue is made by the first Event invocation.
        queue = self._event_queue() if config.state_dir else self._event_queue
        self.invoke_api = InvokeAPI(self.pool, config.function, queue)
        self._prewarm: asyncio.Future[None] | None = None
        handle: Handler = self.invoke_api.handle
        if debug is not None:
            handle = logged_handler(handle, "invoke-api", debug)
        self._server = HTTPServer(
            handle,
            config.invoke_host,
            config.invoke_port,
            name="invoke-api",
            sock=prestart.take_socket(config.invoke_host, config.invoke_port),
            limits=_invoke_limits(config),
        )
        if self.level <= DEBUG:
            self.invoke_api.on_first_answer = self._print_phases

    def _event_queue(self) -> AsyncInvoker:
        """The Event queue (`asyncinvoke`, not imported on the way to a first answer)."""
        from lambdabox.emulator.asyncinvoke import AsyncInvoker, Journal

        config = self.config
        journal = Journal(
            Path(config.state_dir) if config.state_dir else None, config.function.name
        )
        return AsyncInvoker(
            self.pool,
            config.function,
            journal,
            destinations=config.destinations,
            retry_delay_scale=config.retry_delay_scale,
            drain_s=config.drain_timeout_s,
            warn=lambda line: self.note(WARN, line),
        )

    def _print_phases(self) -> None:
        startup.mark("first answer sent")
        for line in startup.lines("lambdabox emulate: "):
            self._notes(line)

    @property
    def invoke_address(self) -> tuple[str, int]:
        return self._server.address

    @property
    def runtime_api_address(self) -> str:
        return self.pool.environments[0].address

    async def start(self) -> None:
        await self._server.start()
        self.invoke_api.start_event_workers(self.config.max_concurrency)
        first = await self.pool.start(eager=False)
        startup.mark("listening")
        if self.config.eager_init:
            self._prewarm = asyncio.ensure_future(first.prewarm())

    async def close(self) -> None:
        if self._prewarm is not None:
            self._prewarm.cancel()
        await self._server.close()
        await self.invoke_api.close()
        await self.pool.close()

    def note(self, level: int, line: str) -> None:
        """An own message, shown when `level` is at or above --log-level."""
        if level >= self.level:
            self._notes(line)

    async def serve_until_signal(self, announce: Callable[[str], None]) -> None:
        """Serve until SIGINT/SIGTERM; `announce` gets the info lines (where, ready)."""
        if self.level > INFO:
            announce = _quiet
        await self.start()
        host, port = self.invoke_address
        announce(
            f"lambdabox emulate: Invoke API on http://{host}:{port}"
            f"/2015-03-31/functions/function/invocations, "
            f"Runtime API on {self.runtime_api_address}"
        )
        if self._prewarm is not None:
            started = asyncio.get_running_loop().time()

            def ready(_done: asyncio.Future[None]) -> None:
                env = self.pool.environments[0]
                took = (asyncio.get_running_loop().time() - started) * 1000
                if env.init_duration_ms is not None:  # counted from the runtime's start
                    took = env.init_duration_ms
                if env.state.value == "ready":
                    announce(f"lambdabox emulate: runtime ready (init {took:.0f} ms)")
                else:
                    self.note(
                        WARN, "lambdabox emulate: init failed; the first invoke gets the error"
                    )

            self._prewarm.add_done_callback(ready)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        try:
            await stop.wait()
        finally:
            for signum in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(Exception):
                    loop.remove_signal_handler(signum)
            await self.close()


def _print(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _note(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def _quiet(_line: str) -> None:
    pass
