"""What keeping environments apart costs: the Runtime API guard and the memory cage.

`python -m bench.sandbox_guard` (BENCH_QUICK=1 for fewer rounds) prints, from one run:
the per-connection check on its own (peer's socket from /proc/net/tcp, then the
environment's descriptors), a memory cgroup made and removed, and the emulator in process
mode with the guard on ("own") and off ("any"), alternated round by round: the first
answer of a lazily started runtime (cold) and sequential warm invokes.
"""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import time
from pathlib import Path

from lambdabox.emulator.sandbox.guard import RuntimeAPIGuard
from lambdabox.emulator.sandbox.memcage import CageUnavailable, MemoryCage
from lambdabox.testing.emulator import emulator, python_runtime

QUICK = os.environ.get("BENCH_QUICK") == "1"
HANDLERS = Path(__file__).resolve().parent / "handlers"
NEXT = "/2018-06-01/runtime/invocation/next"


def check_ms(rounds: int) -> float:
    """Median ms of one connection's check, from a process among 1 member."""

    async def one(server: socket.socket, local: tuple[str, int]) -> float:
        with socket.create_connection(local), server.accept()[0] as accepted:
            peer = accepted.getpeername()
            guard = RuntimeAPIGuard("bench", lambda: local)
            guard.know(lambda: [os.getpid()])
            started = time.perf_counter()
            await guard.admit(1, peer, NEXT)
            return (time.perf_counter() - started) * 1000

    with socket.create_server(("127.0.0.1", 0)) as server:
        local = (str(server.getsockname()[0]), int(server.getsockname()[1]))
        return statistics.median(asyncio.run(one(server, local)) for _ in range(rounds))


def cage_ms(rounds: int) -> float | None:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        try:
            MemoryCage.create("bench", 128).remove()
        except CageUnavailable:
            return None
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def emulator_figures(peers: str, warm: int) -> tuple[float, float]:
    """(ms to a lazily started runtime's first answer, warm invokes/s)."""
    with emulator(
        python_runtime("echo.handler"), cwd=HANDLERS, eager=False, runtime_api_peers=peers
    ) as emu:
        started = time.perf_counter()
        assert emu.invoke({"n": 0}).status_code == 200
        cold_ms = (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        for n in range(warm):
            emu.invoke({"n": n})
        return cold_ms, warm / (time.perf_counter() - started)


def main() -> None:
    rounds, warm = (3, 300) if QUICK else (9, 1500)
    print(f"guard check per connection   {check_ms(200):8.3f} ms (median of 200)")
    cage = cage_ms(50)
    print(f"memory cgroup made + removed {cage:8.3f} ms" if cage else "memory cgroup: unavailable")
    cold: dict[str, list[float]] = {"own": [], "any": []}
    rate: dict[str, list[float]] = {"own": [], "any": []}
    for _ in range(rounds):
        for peers in ("own", "any"):
            c, r = emulator_figures(peers, warm)
            cold[peers].append(c)
            rate[peers].append(r)
    for peers in ("own", "any"):
        first, per_s = statistics.median(cold[peers]), statistics.median(rate[peers])
        print(
            f"process mode, peers={peers:<4} cold first answer {first:7.1f} ms, "
            f"warm {per_s:7.0f} invokes/s (median of {rounds})"
        )


if __name__ == "__main__":
    main()
