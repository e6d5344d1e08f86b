"""The HTTP front bench's callers: both paths measured interleaved, so they see one machine.

The machine running the bench is shared, and its load moves within seconds; measuring
the front for a while and then the Invoke API for a while compares two machine states,
not two paths. So the sequential caller alternates request by request between the paths
and between a keep-alive connection and a new connection per request, and the parallel
load alternates in short windows; each figure is a request count over the time spent on
that leg alone.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass

from runtime_interface._http import Connection


@dataclass(frozen=True)
class Target:
    """One path to call: `host:port`, method, path and the request body."""

    address: str
    method: str
    path: str
    body: bytes


def _call(conn: Connection, target: Target) -> None:
    resp = conn.request(target.method, target.path, target.body)
    if resp.status != 200:
        raise RuntimeError(f"{target.path}: {resp.status} {bytes(resp.body)[:200]!r}")


def sequential(targets: Mapping[str, Target], count: int) -> dict[str, tuple[float, float]]:
    """(keep-alive requests/s, new-connection requests/s) of each target, one caller
    taking the legs in turn request by request: each target on its keep-alive connection,
    then each with a new connection (connect, request, close, all timed), so a new
    connection's cost is the difference of figures taken at the same moments.
    """
    conns = {name: Connection(t.address, "bench") for name, t in targets.items()}
    kept = dict.fromkeys(targets, 0.0)
    fresh = dict.fromkeys(targets, 0.0)
    try:
        for name, conn in conns.items():
            conn.connect()
            for _ in range(20):  # warm both paths (and their connections) first
                _call(conn, targets[name])
        legs = [(name, new) for new in (False, True) for name in targets]
        # A leg also pays for what the leg before it left running (the runtime asking for
        # its next event, the closing of a new connection). Rotating one order keeps each
        # leg behind the same neighbour (the front's keep-alive leg behind the Invoke API's
        # new connection, which cost it ~0.2 ms a request); taking every order in turn puts
        # each leg behind every other equally often.
        orders = list(itertools.permutations(legs))
        for i in range(count):
            for name, new in orders[i % len(orders)]:
                target = targets[name]
                started = time.perf_counter()
                if new:
                    conn = Connection(target.address, "bench")
                    conn.connect()
                    try:
                        _call(conn, target)
                    finally:
                        conn.close()
                    fresh[name] += time.perf_counter() - started
                else:
                    _call(conns[name], target)
                    kept[name] += time.perf_counter() - started
    finally:
        for conn in conns.values():
            conn.close()
    return {name: (count / kept[name], count / fresh[name]) for name in targets}


def parallel(target: Target, callers: int, seconds: float) -> tuple[int, int]:
    """(200 answers, other answers) of `callers` threads on keep-alive connections."""
    done = [0] * callers
    refused = [0] * callers
    stop = time.monotonic() + seconds

    def caller(index: int) -> None:
        conn = Connection(target.address, "bench")
        conn.connect()
        try:
            while time.monotonic() < stop:
                resp = conn.request(target.method, target.path, target.body)
                if resp.status == 200:
                    done[index] += 1
                else:
                    refused[index] += 1
        finally:
            conn.close()

    threads = [threading.Thread(target=caller, args=(i,)) for i in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done), sum(refused)


def parallel_interleaved(
    targets: Mapping[str, Target], callers: int, seconds: float, windows: int
) -> dict[str, tuple[float, int]]:
    """(requests/s, non-200 answers) of each target under `callers` parallel callers,
    the targets taking turns in `windows` windows of `seconds / windows` each."""
    done = dict.fromkeys(targets, 0)
    refused = dict.fromkeys(targets, 0)
    window = seconds / windows
    for _ in range(windows):
        for name, target in targets.items():
            ok, other = parallel(target, callers, window)
            done[name] += ok
            refused[name] += other
    return {name: (done[name] / seconds, refused[name]) for name in targets}
