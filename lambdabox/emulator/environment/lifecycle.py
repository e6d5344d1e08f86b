"""An execution environment's lifecycle: its runtime, its Runtime API listener, its states.

States: NEW -> INITIALIZING -> READY; any failure (init error, crash, timeout) -> DEAD,
and the next invocation initialises a fresh process ("suppressed init", as the service
does). Starting, init (with its timeout), the runtime's death and stopping live here
(the sandbox in `sandbox`); the invocations run by `invoking.Environment`.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import time
from collections import deque
from collections.abc import Callable

from lambdabox.emulator import prestart, startup
from lambdabox.emulator.config import log_stream_name
from lambdabox.emulator.driver import RuntimeHandle
from lambdabox.emulator.environment.sandbox import EnvironmentSandbox
from lambdabox.emulator.httpserver import RUNTIME_API, HTTPServer
from lambdabox.emulator.invocation import Invocation, Outcome
from lambdabox.emulator.launch import Launch
from lambdabox.emulator.log_owners import owners
from lambdabox.emulator.loglevel import Handler, logged_handler
from lambdabox.emulator.process import describe_exit
from lambdabox.emulator.reports import Reporter
from lambdabox.emulator.runtime_api import RuntimeAPI, abandon
from lambdabox.emulator.sandbox.guard import guarded
from lambdabox.emulator.sidecars import Sidecars

__all__ = ["KILL_GRACE_WITH_EXTENSIONS_S", "EnvironmentLifecycle", "Launch", "State"]

KILL_GRACE_WITH_EXTENSIONS_S = 2.0


class State(enum.Enum):
    NEW = "new"
    INITIALIZING = "initializing"
    READY = "ready"
    DEAD = "dead"


UNADOPTED_GRACE_S = 0.2
"""After a runtime started ahead was killed unadopted: the ends of its connections are
read within this (a few loop turns) before init may complete."""


class EnvironmentLifecycle:
    """A runtime process behind its own Runtime API listener: started, watched, stopped."""

    def __init__(
        self,
        index: int,
        launch: Launch,
        *,
        host: str,
        port: int,
        capacity: int,
        init_timeout_s: float,
        log: Callable[[str], None],
    ) -> None:
        self.index = index
        self.capacity = capacity
        self.reserved = 0
        self.state = State.NEW
        self._launch = launch
        self._init_timeout_s = init_timeout_s
        self._log = log
        self._api = RuntimeAPI(self)
        name = f"runtime-api-{index}"
        self.sidecars = Sidecars(launch.extensions_dir, launch.env, log, self._check_init)
        self.reports = Reporter(log, self.sidecars.telemetry, launch.env)
        self._sandbox = EnvironmentSandbox(
            index, name, launch, lambda: self._server.address, self.sidecars, init_timeout_s
        )
        handle: Handler = guarded(self._sandbox.guard, self._api.handle)
        if launch.request_log is not None:
            handle = logged_handler(handle, name, launch.request_log)
        sock = prestart.take_socket(host, port)  # bound before the imports, if at all
        self._server = HTTPServer(handle, host, port, name=name, sock=sock, limits=RUNTIME_API)
        self._process: RuntimeHandle | None = None
        self._ready = asyncio.Event()
        self._init: asyncio.Future[Outcome | None] | None = None
        self._init_started = 0.0
        self.init_duration_ms: float | None = None
        self.init_error: Outcome | None = None
        self.inflight: dict[str, Invocation] = {}
        self.finishing: dict[str, Invocation] = {}
        self.waiting: deque[asyncio.Future[Invocation]] = deque()
        self._watcher: asyncio.Task[None] | None = None
        self._stale_failure: Outcome | None = None
        self._killer: asyncio.Future[None] | None = None
        self._finisher: asyncio.Future[None] | None = None
        self._runtime_waiting = False
        self._spawning = False

    @property
    def address(self) -> str:
        host, port = self._server.address
        return f"{host}:{port}"

    async def open(self) -> None:
        await self._server.start()

    async def close(self) -> None:
        await self._kill(graceful=True, reason="spindown")
        await self._server.close()
        self._sandbox.release()

    async def reset(self) -> None:
        """Stop the runtime (SHUTDOWN to extensions first); the next invocation inits anew."""
        await self._kill(graceful=True, reason="spindown")

    # -- lifecycle -------------------------------------------------------------------

    async def init(self) -> Outcome | None:
        """Start the runtime if it is not running; wait for init. None means success."""
        if self.state in (State.NEW, State.DEAD):
            if self._stale_failure is not None:  # an eager init failed with nobody waiting
                failure, self._stale_failure = self._stale_failure, None
                return failure
            await self._spawn()
        assert self._init is not None
        return await asyncio.shield(self._init)

    async def prewarm(self) -> None:
        """Init ahead of the first invocation; a failure is kept for that invocation."""
        failure = await self.init()
        if failure is not None and self.reserved == 0:
            self._stale_failure = failure

    async def _spawn(self) -> None:
        self.state = State.INITIALIZING
        self.init_error = None
        self.init_duration_ms = None
        self._ready.clear()
        self._init = asyncio.get_running_loop().create_future()
        self._runtime_waiting = False
        self._sandbox.expect()
        env = dict(self._launch.env, AWS_LAMBDA_RUNTIME_API=self.address)
        version = env.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        env.setdefault("AWS_LAMBDA_LOG_STREAM_NAME", log_stream_name(version))
        self._init_started = time.monotonic()
        startup.mark("runtime spawning")
        self.sidecars.telemetry.reset()
        self.reports.init_start()
        # Init cannot complete before the driver says which runtime this is: one started
        # ahead may ask for /next at any time (adopted, its request is kept; not adopted,
        # it was killed and must get no event), and a container starts its extensions
        # after the runtime, so they are known only once spawn() returns.
        self._spawning = True
        try:
            await self.sidecars.start(env)
            self._process = await self._launch.driver.spawn(env, self._on_line, self.index)
            if prestart.stopped_unadopted(self.address):
                # Its connections may still be in the server with a GET /next read and
                # their end not yet: let their ends be read (which abandons the waiters).
                await asyncio.sleep(UNADOPTED_GRACE_S)
        finally:
            self._spawning = False
        self._sandbox.started(self._process)
        self.sidecars.sandbox = self._process
        startup.mark("runtime spawned")
        ahead: float | None = getattr(self._process, "started_at", None)
        if ahead is not None:  # started before the emulator was ready: init began then
            self._init_started = min(self._init_started, ahead)
        # A runtime started ahead (or a container) asked for /next already; one killed
        # unadopted did too, but its requests are abandoned by now.
        self._runtime_waiting = any(not waiter.done() for waiter in self.waiting)
        self._process.watch_extensions(self._check_init)
        self._check_init()
        self._watcher = asyncio.ensure_future(self._watch(self._process))
        asyncio.get_running_loop().call_later(
            self._init_timeout_s, self._init_timed_out, self._init
        )

    def _init_timed_out(self, init: asyncio.Future[Outcome | None]) -> None:
        if init is self._init and not init.done():
            secs = f"{self._init_timeout_s:.2f}"
            self._finish_init(
                Outcome.error("Sandbox.Timedout", f"Init timed out after {secs} seconds")
            )
            self._killer = asyncio.ensure_future(self._kill(graceful=False, reason="timeout"))

    def _finish_init(self, failure: Outcome | None) -> None:
        if self._init is None or self._init.done():
            return
        self.sidecars.close_registration()
        duration_ms = (time.monotonic() - self._init_started) * 1000
        if failure is None:
            self.init_duration_ms = duration_ms
            self.state = State.READY
            startup.mark("runtime ready")
        else:
            self.state = State.DEAD
        self.reports.init_done(failure is None, duration_ms)
        self._init.set_result(failure)

    def runtime_ready(self) -> None:
        """The runtime asked for its first event."""
        self._runtime_waiting = True
        self._check_init()

    def _check_init(self) -> None:
        """Init is complete once the runtime and every extension wait for events."""
        if (
            self._runtime_waiting
            and not self._spawning
            and self.state is State.INITIALIZING
            and self.sidecars.init_ready()
        ):
            self._finish_init(None)

    def runtime_init_error(self, outcome: Outcome) -> None:
        self.init_error = outcome

    async def _watch(self, process: RuntimeHandle) -> None:
        code = await process.wait()
        if process is not self._process:
            return
        reason = f"Runtime exited with error: {describe_exit(code)}"
        if self.init_error is not None:
            self._finish_init(self.init_error)
        else:
            self._finish_init(Outcome.error("Runtime.ExitError", f"Error: {reason}"))
        self.state = State.DEAD
        for inv in list(self.inflight.values()):
            inv.settle(
                Outcome.error("Runtime.ExitError", f"RequestId: {inv.request_id} Error: {reason}")
            )
        self.inflight.clear()
        while self.waiting:
            abandon(self.waiting.popleft())
        self._ready.set()  # wake invocations waiting for a /next that will never come

    async def _kill(self, graceful: bool, reason: str = "failure") -> None:
        """Stop the runtime (and extensions: SHUTDOWN first, then 2 s to finish)."""
        process = self._process
        with_extensions = self.sidecars.active
        grace = KILL_GRACE_WITH_EXTENSIONS_S if (graceful or with_extensions) else 0.0
        shutdown = asyncio.ensure_future(self.sidecars.shutdown(reason, grace))
        if process is not None and process.returncode is None:
            await process.stop(grace)
        await shutdown
        if self._watcher is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher

    # -- the runtime's requests ------------------------------------------------------

    def add_waiter(self, waiter: asyncio.Future[Invocation]) -> None:
        """A runtime (worker) is blocked on GET /next."""
        self.waiting.append(waiter)
        self._ready.set()

    # -- logs ------------------------------------------------------------------------

    def _on_line(self, line: str, written_at: float | None = None) -> None:
        inflight, finishing = list(self.inflight.values()), list(self.finishing.values())
        self.reports.output(line, owners(line, written_at, inflight, finishing))
