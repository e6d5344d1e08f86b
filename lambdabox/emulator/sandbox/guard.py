"""Only an environment's own processes may use its Runtime API.

Runtimes in containers share the host's network (and process-mode runtimes are plain
local processes), so every environment's Runtime API port on 127.0.0.1 is reachable by
every function. The guard identifies the process at the other end of each new
connection (see `peers`) and lets it through only when it is one of the environment's
own: the container's processes (its cgroup), or in process mode the runtime's and its
extensions' processes. Anyone else gets 403 and the connection is closed; a warning names
the environment. A connection is checked once, on its first request (keep-alive
connections cost nothing after that). A connection that arrives while the runtime is
still being started (it may ask for /next before `docker start` returns) is held until
the environment knows its processes.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable
from typing import NoReturn

from lambdabox.emulator.httpserver import Request, Responder
from lambdabox.emulator.loglevel import Handler
from lambdabox.emulator.sandbox.peers import PeerUnknown, holder, peer_socket_inode

Members = Callable[[], list[int]]
"""The pids that belong to the environment now."""

PEER_MODES = ("own", "any")
OPEN_PATHS = frozenset({"/openapi.json", "/2018-06-01/ping"})  # harmless to anyone


class Forbidden(Exception):
    """The peer is not one of the environment's processes; the message says who it is."""


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


class RuntimeAPIGuard:
    """Admits a connection to one environment's Runtime API when its peer is a member."""

    def __init__(
        self,
        name: str,
        local: Callable[[], tuple[str, int]],
        *,
        mode: str = "own",
        warn: Callable[[str], None] | None = None,
        wait_s: float = 10.0,
    ) -> None:
        if mode not in PEER_MODES:
            raise ValueError(f"runtime API peers must be one of {', '.join(PEER_MODES)}: {mode!r}")
        self.name = name
        self.enabled = mode == "own"
        self._local = local
        self._warn = warn or _stderr
        self._wait_s = wait_s
        self._members: Members | None = None
        self._wider: Members | None = None
        self._known = asyncio.Event()
        self.admitted: set[int] = set()
        self._unverifiable_said = False
        self.refused = 0

    def expect(self) -> None:
        """A runtime is being started: its processes are not known yet."""
        self._members = None
        self._known.clear()

    def know(self, members: Members | None, wider: Members | None = None) -> None:
        """The environment's processes (None: none runs, nobody is admitted); `wider`,
        slower, is asked only when the peer is not among `members`."""
        self._members, self._wider = members, wider
        self._known.set()

    async def admit(self, connection_id: int, peer: tuple[str, int], path: str) -> None:
        """Return when the connection may be served; raise Forbidden otherwise."""
        if not self.enabled or connection_id in self.admitted or path in OPEN_PATHS:
            return
        if not self._known.is_set():
            try:
                await asyncio.wait_for(self._known.wait(), self._wait_s)
            except asyncio.TimeoutError:
                self._refuse(peer, "no runtime of this environment is starting")
        members = self._members
        if members is None:
            self._refuse(peer, "no runtime of this environment is running")
        try:
            inode = peer_socket_inode(peer, self._local())
            pid = holder(members(), inode)
            if pid is None and self._wider is not None:
                pid = holder(self._wider(), inode)
        except PeerUnknown:
            self._refuse(peer, "the kernel lists no such connection (the peer has gone?)")
        except PermissionError as exc:  # not root: other users' descriptors are hidden
            if not self._unverifiable_said:
                self._unverifiable_said = True
                self._warn(
                    f"lambdabox: warning: {self.name}: cannot tell which process connected "
                    f"({exc}); run the emulator as root to keep environments apart"
                )
            self.admitted.add(connection_id)
            return
        if pid is None:
            self._refuse(peer, "it is not a process of this environment")
        self.admitted.add(connection_id)

    def forget(self, connection_id: int) -> None:
        """The connection closed."""
        self.admitted.discard(connection_id)

    def _refuse(self, peer: tuple[str, int], why: str) -> NoReturn:
        self.refused += 1
        self._warn(
            f"lambdabox: warning: {self.name}: refused a connection from {peer[0]}:{peer[1]}: {why}"
        )
        raise Forbidden(
            f"This Runtime API belongs to another execution environment ({self.name}); "
            f"the connection from {peer[0]}:{peer[1]} was refused because {why}. "
            "A runtime must use the address in its own AWS_LAMBDA_RUNTIME_API "
            "(--runtime-api-peers any lets every local process in)."
        )


def guarded(guard: RuntimeAPIGuard, handle: Handler) -> Handler:
    """`handle`, behind `guard`: a refused connection gets 403 and is closed."""
    if not guard.enabled:
        return handle

    async def checked(request: Request, responder: Responder) -> None:
        connection = request.connection_id
        if connection not in guard.admitted:
            try:
                await guard.admit(connection, request.peer, request.path)
            except Forbidden as exc:
                body = {"errorMessage": str(exc), "errorType": "AccessDeniedException"}
                headers = [("Content-Type", "application/json"), ("Connection", "close")]
                responder.send(403, headers, json.dumps(body).encode())
                return
            if connection in guard.admitted:
                gone = request.disconnect_future()
                gone.add_done_callback(lambda _: guard.forget(connection))
        await handle(request, responder)

    return checked
