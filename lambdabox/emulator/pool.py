"""Environments on demand: one invocation per slot, warm ones reused, none beyond the limit."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable

from lambdabox.emulator.environment import Environment, Launch
from lambdabox.emulator.invocation import Invocation, Outcome

RECENT_LOGS = 1000


class TooManyRequests(Exception):
    """Every environment is busy and the concurrency limit is reached."""


class Pool:
    """Up to `max_environments` environments, each taking `capacity` invocations at once."""

    def __init__(
        self,
        launch: Launch,
        *,
        host: str,
        first_port: int,
        max_environments: int,
        capacity: int,
        init_timeout_s: float,
        log: Callable[[str], None],
    ) -> None:
        self._launch = launch
        self._host = host
        self._first_port = first_port
        self._max = max_environments
        self._capacity = capacity
        self._init_timeout_s = init_timeout_s
        self._log = log
        self.environments: list[Environment] = []
        self._lock = asyncio.Lock()
        self._freed = asyncio.Event()
        self._finishing = 0
        # The complete log of recent invocations by request id (for test harnesses).
        self.recent_logs: OrderedDict[str, list[str]] = OrderedDict()

    async def _new_environment(self) -> Environment:
        index = len(self.environments)
        env = Environment(
            index,
            self._launch,
            host=self._host,
            port=self._first_port if index == 0 else 0,
            capacity=self._capacity,
            init_timeout_s=self._init_timeout_s,
            log=self._log,
        )
        await env.open()
        self.environments.append(env)
        return env

    async def start(self, eager: bool) -> Environment:
        """Open the first environment's Runtime API, and init it now when `eager`."""
        async with self._lock:
            env = self.environments[0] if self.environments else await self._new_environment()
        if eager:
            env.reserved += 1
            try:
                await env.init()
            finally:
                env.reserved -= 1
        return env

    async def _reserve(self) -> Environment | None:
        async with self._lock:
            free = [e for e in self.environments if e.reserved < e.capacity]
            # Prefer warm environments; a dead one re-initialises before a new one is added.
            free.sort(key=lambda e: (e.state.value != "ready", e.index))
            if free:
                env = free[0]
            elif len(self.environments) < self._max:
                env = await self._new_environment()
            else:
                return None
            env.reserved += 1
            return env

    async def invoke(self, inv: Invocation, wait: bool = False) -> Outcome:
        """Run `inv` in a free environment; TooManyRequests when none (unless `wait`).

        An environment whose runtime has answered but not yet asked for its next event is
        about to be free: a request waits for it rather than being throttled.
        """
        while True:
            env = await self._reserve()
            if env is not None:
                break
            if not wait and self._finishing == 0:
                raise TooManyRequests
            self._freed.clear()
            await self._freed.wait()
        taken, state = env, {"answered": False, "released": False}

        def release() -> None:
            self._remember(inv)
            state["released"] = True
            taken.reserved -= 1
            if state["answered"]:
                self._finishing -= 1
            self._freed.set()

        outcome = await taken.invoke(inv, release)
        if not state["released"]:  # answered; the environment frees itself shortly
            state["answered"] = True
            self._finishing += 1
        return outcome

    def _remember(self, inv: Invocation) -> None:
        self.recent_logs[inv.request_id] = inv.logs
        while len(self.recent_logs) > RECENT_LOGS:
            self.recent_logs.popitem(last=False)

    async def close(self) -> None:
        await asyncio.gather(*(env.close() for env in self.environments))
