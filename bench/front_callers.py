"""The HTTP front bench's callers: both paths measured interleaved, so they see one machine.

The machine running the bench is shared, and its load moves within seconds; measuring
the front for a while and then the Invoke API for a while compares two machine states,
not two paths. So the sequential caller alternates request by request between the paths
(each on its own keep-alive connection, or a new connection per request), and the
parallel load alternates in short windows; each path's figure is its request count over
the time spent on it alone.
"""

from __future__ import annotations

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


def sequential(targets: Mapping[str, Target], count: int, fresh: bool) -> dict[str, float]:
    """Requests/s of each target, one caller alternating between them request by request.

    `fresh`: a new connection for every request (connect, request, close, all timed);
    otherwise one keep-alive connection per target, opened before timing.
    """
    conns = {name: Connection(t.address, "bench") for name, t in targets.items()}
    spent = dict.fromkeys(targets, 0.0)
    try:
        for name, conn in conns.items():
            conn.connect()
            for _ in range(20):  # warm both paths (and their connections) first
                _call(conn, targets[name])
        for _ in range(count):
            for name, target in targets.items():
                if fresh:
                    started = time.perf_counter()
                    conn = Connection(target.address, "bench")
                    conn.connect()
                    try:
                        _call(conn, target)
                    finally:
                        conn.close()
                else:
                    started = time.perf_counter()
                    _call(conns[name], target)
                spent[name] += time.perf_counter() - started
    finally:
        for conn in conns.values():
            conn.close()
    return {name: count / seconds for name, seconds in spent.items()}


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
