"""HTTP front benchmark: requests/s through the front next to the bare Invoke API.

One process hosts the application (the echo function under the emulator, 8 environments,
behind the HTTP front with one HTTP API route, payload 2.0); the bench process calls it
over keep-alive connections: sequentially (one caller) and with 8 callers in parallel,
through the front (`GET /echo`) and through the Invoke API with the very event the front
sends (so both paths carry the same bytes to the function); and sequentially with a new
connection per request, which shows what a connection costs each path. The two paths are
measured interleaved (`bench/front_callers.py`). Bounded: a fixed count of sequential
requests and 6 s (quick: 2 s) of parallel load per side.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from bench import front_callers, http_sam
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


def measure(quick: bool) -> dict[str, float]:
    """The front against the Invoke API, then against `sam local start-api`."""
    r = measure_front(quick)
    # Then `sam local start-api` next to `lambdabox up` (bench/http_sam.py), once the
    # application of `measure_front` has stopped.
    figures, reason = http_sam.measure(quick)
    r.update(figures)
    _SAM_NOT_MEASURED[:] = [reason] if reason else []
    return r


def measure_front(quick: bool) -> dict[str, float]:
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
        front_target = front_callers.Target(front, "GET", "/echo", b"")
        invoke_target = front_callers.Target(invoke, "POST", INVOKE_PATH, event)
        count = 288 if quick else 1008  # whole cycles of the 24 orders of the 4 legs
        seconds = 2.0 if quick else 6.0
        # Start all 8 environments first: cold starts must not land in either measurement.
        front_callers.parallel(invoke_target, 8, 1.0)
        targets = {"front": front_target, "invoke": invoke_target}
        seq = front_callers.sequential(targets, count)
        par = front_callers.parallel_interleaved(targets, 8, seconds, windows=int(seconds * 4))
        r: dict[str, float] = {}
        for name in targets:
            kept, fresh = seq[name]
            r[f"http_{name}_seq_per_s"] = kept
            r[f"http_{name}_seq_newconn_per_s"] = fresh
            r[f"http_{name}_newconn_ms"] = 1000 / fresh - 1000 / kept
            r[f"http_{name}_par8_per_s"] = par[name][0]
            r[f"http_{name}_par8_refused"] = float(par[name][1])
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
    return r


def report(r: dict[str, float]) -> bool:
    """Print the rows; True when a goal is missed (the front costs more than 30 %)."""
    missed = report_front(r)
    sam_missed = http_sam.report(r, _SAM_NOT_MEASURED[0] if _SAM_NOT_MEASURED else None)
    return missed or sam_missed


def report_front(r: dict[str, float]) -> bool:
    """The front's rows; True when it costs more than 30 % over the Invoke API."""
    print(f"\n{'HTTP front (8 environments)':<44} {'front':>8} {'Invoke API':>11} {'unit':<6}")
    missed = False
    rows = (
        ("sequential, keep-alive", "seq", True),
        ("8 callers in parallel, keep-alive", "par8", True),
        ("sequential, a new connection each", "seq_newconn", False),
    )
    for label, key, goal in rows:
        front, bare = r[f"http_front_{key}_per_s"], r[f"http_invoke_{key}_per_s"]
        ratio = front / bare
        ok = ratio >= 1 / 1.3
        missed = missed or (goal and not ok)
        verdict = (
            f"{'>= 0.77x':<8} {'ok' if ok else 'MISSED'}  (front adds <= 30 %)" if goal else ""
        )
        print(
            f"{'requests/s, ' + label:<44} {front:>8.1f} {bare:>11.1f} {'req/s':<6} "
            f"{ratio:>5.2f}x  {verdict}"
        )
    print(
        f"  a new connection costs {r['http_front_newconn_ms']:.2f} ms on the front, "
        f"{r['http_invoke_newconn_ms']:.2f} ms on the Invoke API (connect, request, close; "
        "sequential, against keep-alive); paths measured interleaved"
    )
    if r["http_front_par8_refused"] or r["http_invoke_par8_refused"]:
        print(
            f"  non-200 answers under load: front {r['http_front_par8_refused']:.0f}, "
            f"Invoke API {r['http_invoke_par8_refused']:.0f}"
        )
    return missed


if __name__ == "__main__":
    figures = measure(quick=os.environ.get("BENCH_QUICK") == "1")
    sys.exit(1 if report(figures) and os.environ.get("BENCH_STRICT") == "1" else 0)
