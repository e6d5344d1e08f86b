"""The emulator: an Invoke API endpoint in front of a pool of runtime environments."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Callable

from lambdabox.emulator.config import EmulatorConfig
from lambdabox.emulator.driver import ProcessDriver
from lambdabox.emulator.environment import Launch
from lambdabox.emulator.httpserver import HTTPServer
from lambdabox.emulator.invoke_api import InvokeAPI
from lambdabox.emulator.pool import Pool


def runtime_environment(config: EmulatorConfig, base: dict[str, str]) -> dict[str, str]:
    """The runtime's environment: ours forwarded (as RIE does) plus the service's variables."""
    fn = config.function
    env = dict(base)
    env.update(config.runtime_env)
    env.setdefault("AWS_LAMBDA_FUNCTION_NAME", fn.name)
    env.setdefault("AWS_LAMBDA_FUNCTION_VERSION", fn.version)
    env.setdefault("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", str(fn.memory_mb))
    env.setdefault("AWS_LAMBDA_LOG_GROUP_NAME", fn.log_group_name)
    env.setdefault("AWS_LAMBDA_LOG_STREAM_NAME", fn.log_stream)
    env.setdefault("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand")
    env.setdefault("AWS_REGION", fn.region)
    env.setdefault("AWS_DEFAULT_REGION", fn.region)
    if config.handler:
        env["_HANDLER"] = config.handler
    return env


class Emulator:
    """Start, serve, stop. `log` receives function output and START/END/REPORT lines."""

    def __init__(self, config: EmulatorConfig, log: Callable[[str], None] | None = None) -> None:
        self.config = config
        self._log = log or _print
        driver = config.driver or ProcessDriver(config.command, config.cwd)
        base = {} if config.driver is not None else dict(os.environ)
        extensions = config.extensions_dir if config.driver is None else None
        launch = Launch(driver, runtime_environment(config, base), extensions)
        self.pool = Pool(
            launch,
            host=config.runtime_api_host,
            first_port=config.runtime_api_port,
            max_environments=config.max_concurrency,
            capacity=config.runtime_concurrency,
            init_timeout_s=config.init_timeout_s,
            log=self._log,
        )
        self.invoke_api = InvokeAPI(self.pool, config.function)
        self._prewarm: asyncio.Future[None] | None = None
        self._server = HTTPServer(
            self.invoke_api.handle, config.invoke_host, config.invoke_port, name="invoke-api"
        )

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
        if self.config.eager_init:
            self._prewarm = asyncio.ensure_future(first.prewarm())

    async def close(self) -> None:
        if self._prewarm is not None:
            self._prewarm.cancel()
        await self._server.close()
        await self.invoke_api.close()
        await self.pool.close()

    async def serve_until_signal(self, announce: Callable[[str], None]) -> None:
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
                if env.state.value == "ready":
                    announce(f"lambdabox emulate: runtime ready (init {took:.0f} ms)")
                else:
                    announce("lambdabox emulate: init failed; the first invoke gets the error")

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
