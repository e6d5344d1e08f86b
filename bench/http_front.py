"""HTTP front benchmark: requests/s through the front next to the bare Invoke API.

One process hosts the application (the echo function under the emulator, 8 environments,
behind the HTTP front with one HTTP API route, payload 2.0); the bench process calls it
over keep-alive connections: sequentially (one caller) and with 8 callers in parallel,
through the front (`GET /echo`) and through the Invoke API with the very event the front
sends (so both paths carry the same bytes to the function). Bounded: a fixed count of
sequential requests and 2 s of parallel load per side.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from bench import http_sam
from runtime_interface._http import Connection

HANDLERS = Path(__file__).resolve().parent / "handlers"
INVOKE_PATH = "/2015-03-31/functions/function/invocations"
_SAM_NOT_MEASURED: list[str] = []  # why `sam local start-api` was not measured, if it was not


def _quiet(_line: str) -> None:
    pass


def serve() -> None:
    """Run the application (in its own process); print `front_port invoke_port`."""
    from lambdabox.app.invoker import EmulatorInvoker
    from lambdabox.emulator.config import EmulatorConfig, FunctionConfig
    from lambdabox.emulator.server import Emulator
    from lambdabox.template.model import Resource, Template
    from lambdabox.triggers import http
    from lambdabox.triggers.ports import AppSettings

    async def main() -> None:
        config = EmulatorConfig(
            command=(sys.executable, "-m", "runtime_interface", "echo.handler"),
            function=FunctionConfig(name="EchoFunction", timeout_s=30),
            cwd=str(HANDLERS),
            handler="echo.handler",
            invoke_port=0,
            runtime_api_port=0,
            max_concurrency=8,
            log_level="error",
        )
        emulator = Emulator(config, log=_quiet)
        await emulator.start()
        event = {"Type": "HttpApi", "Properties": {"Path": "/echo", "Method": "get"}}
        fn = Resource("EchoFunction", "AWS::Serverless::Function", {"Events": {"Echo": event}})
        template = Template(Path("template.yaml"), {"EchoFunction": fn})
        settings = AppSettings(http_port=0, notes=_quiet)
        fronts = http.triggers(template, EmulatorInvoker({"EchoFunction": emulator}), settings)
        for front in fronts:
            await front.start()
        api = fronts[0].describe()[0].detail["url"].rsplit(":", 1)[1].split("/", 1)[0]
        print(api, emulator.invoke_address[1], flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
        for front in fronts:
            await front.close()
        await emulator.close()

    asyncio.run(main())


def _sequential(address: str, method: str, path: str, body: bytes, count: int) -> float:
    conn = Connection(address, "bench")
    conn.connect()
    try:
        for _ in range(50):
            conn.request(method, path, body)
        started = time.perf_counter()
        for _ in range(count):
            resp = conn.request(method, path, body)
            if resp.status != 200:
                raise RuntimeError(f"{path}: {resp.status} {bytes(resp.body)[:200]!r}")
        return count / (time.perf_counter() - started)
    finally:
        conn.close()


def _parallel(
    address: str, method: str, path: str, body: bytes, callers: int, seconds: float
) -> tuple[float, int]:
    done = [0] * callers
    refused = [0] * callers
    stop = time.monotonic() + seconds

    def caller(index: int) -> None:
        conn = Connection(address, "bench")
        conn.connect()
        try:
            while time.monotonic() < stop:
                if conn.request(method, path, body).status == 200:
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
    return sum(done) / seconds, sum(refused)


def measure(quick: bool) -> dict[str, float]:
    """Start the application, measure both paths, stop it; figures keyed by name."""
    proc = subprocess.Popen(
        [sys.executable, "-c", "from bench.http_front import serve; serve()"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=Path(__file__).resolve().parent.parent,
        env={**os.environ},
    )
    try:
        assert proc.stdout is not None
        front_port, invoke_port = proc.stdout.readline().split()
        front = f"127.0.0.1:{int(front_port)}"
        invoke = f"127.0.0.1:{int(invoke_port)}"
        probe = Connection(front, "bench")
        probe.connect()
        event = bytes(probe.request("GET", "/echo", b"").body)  # the echo of the front's event
        probe.close()
        count = 300 if quick else 1500
        seconds = 1.0 if quick else 2.0
        rounds = 1 if quick else 3
        # Start all 8 environments first: cold starts must not land in either measurement.
        _parallel(invoke, "POST", INVOKE_PATH, event, 8, 1.0)
        paths = {
            "front": (front, "GET", "/echo", b""),
            "invoke": (invoke, "POST", INVOKE_PATH, event),
        }
        seq: dict[str, list[float]] = {"front": [], "invoke": []}
        par: dict[str, list[float]] = {"front": [], "invoke": []}
        refused = {"front": 0, "invoke": 0}
        for _ in range(rounds):  # alternate, so both see the same machine state
            for name, (address, method, path, body) in paths.items():
                seq[name].append(_sequential(address, method, path, body, count))
                per_s, errors = _parallel(address, method, path, body, 8, seconds)
                par[name].append(per_s)
                refused[name] += errors
        r: dict[str, float] = {}
        for name in ("front", "invoke"):
            r[f"http_{name}_seq_per_s"] = statistics.median(seq[name])
            r[f"http_{name}_par8_per_s"] = statistics.median(par[name])
            r[f"http_{name}_par8_refused"] = float(refused[name])
        r["http_event_bytes"] = float(len(event))
    finally:
        if proc.stdin is not None:
            proc.stdin.close()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.terminate()
            proc.wait(10)
        if proc.stdout is not None:
            proc.stdout.close()
    # Then `sam local start-api` next to `lambdabox up` (bench/http_sam.py), once the
    # application above has stopped.
    figures, reason = http_sam.measure(quick)
    r.update(figures)
    _SAM_NOT_MEASURED[:] = [reason] if reason else []
    return r


def report(r: dict[str, float]) -> bool:
    """Print the rows; True when a goal is missed (the front costs more than 30 %)."""
    print(f"\n{'HTTP front (8 environments)':<40} {'front':>10} {'Invoke API':>12} {'unit':<9}")
    missed = False
    for label, key in (("sequential", "seq"), ("8 callers in parallel", "par8")):
        front, bare = r[f"http_front_{key}_per_s"], r[f"http_invoke_{key}_per_s"]
        ratio = front / bare
        ok = ratio >= 1 / 1.3
        missed = missed or not ok
        print(
            f"{'requests/s, ' + label:<40} {front:>10.1f} {bare:>12.1f} {'req/s':<9} "
            f"{ratio:>6.2f}x  {'>= 0.77x':<8} {'ok' if ok else 'MISSED'}  (front adds <= 30 %)"
        )
    if r["http_front_par8_refused"] or r["http_invoke_par8_refused"]:
        print(
            f"  non-200 answers under load: front {r['http_front_par8_refused']:.0f}, "
            f"Invoke API {r['http_invoke_par8_refused']:.0f}"
        )
    sam_missed = http_sam.report(r, _SAM_NOT_MEASURED[0] if _SAM_NOT_MEASURED else None)
    return missed or sam_missed


if __name__ == "__main__":
    figures = measure(quick=os.environ.get("BENCH_QUICK") == "1")
    sys.exit(1 if report(figures) and os.environ.get("BENCH_STRICT") == "1" else 0)
