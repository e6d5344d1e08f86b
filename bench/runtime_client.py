"""Runtime interface client benchmarks: start-up and warm invokes, ours vs awslambdaric.

Both clients run as real processes against the same strict Runtime API server
(lambdabox.testing), installed and byte-compiled the same way.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import time
from pathlib import Path

from lambdabox.testing import RuntimeAPIServer

HANDLERS = Path(__file__).resolve().parent / "handlers"


def _env(api: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "AWS_LAMBDA_RUNTIME_API": api,
        "AWS_LAMBDA_FUNCTION_NAME": "bench",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024",
    }


# `python -m` pays for runpy (~3 ms); the launcher form is what an image's bootstrap runs.
LAUNCHER = "import sys; from {module}.__main__ import main; sys.exit(main({argv}))"


def command(python: Path, module: str, handler: str, launcher: bool = False) -> list[str]:
    if not launcher:
        return [str(python), "-m", module, handler]
    argv = "" if module == "runtime_interface" else "sys.argv"
    return [str(python), "-c", LAUNCHER.format(module=module, argv=argv), handler]


def _spawn(
    python: Path, module: str, handler: str, api: str, launcher: bool = False
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        command(python, module, handler, launcher),
        cwd=HANDLERS,
        env=_env(api),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def startup_ms(python: Path, module: str, runs: int, launcher: bool = False) -> tuple[float, float]:
    """Medians in ms: process start to its first GET /next, and to its first response."""
    to_next, to_answer = [], []
    for _ in range(runs):
        with RuntimeAPIServer() as api:
            pending = api.enqueue(b'{"cold": true}')
            started = time.monotonic()
            proc = _spawn(python, module, "echo.handler", api.address, launcher)
            try:
                out = pending.wait(30)
                first = api.wait_first_next(0)
                if first is None or out.kind != "response":
                    raise RuntimeError(f"{module} did not start: {out.body[:200]!r}")
                to_next.append((first - started) * 1000)
                to_answer.append((out.received_at - started) * 1000)
            finally:
                proc.kill()
                proc.wait()
    return statistics.median(to_next), statistics.median(to_answer)


def invokes_per_second(
    python: Path, module: str, handler: str, event: bytes, count: int, warmup: int = 20
) -> float:
    """Sequential invokes per second through the server, after `warmup` invokes."""
    with RuntimeAPIServer(record_requests=False) as api:
        proc = _spawn(python, module, handler, api.address)
        try:
            for _ in range(warmup):
                api.enqueue(event).wait(30)
            started = time.perf_counter()
            for _ in range(count):
                out = api.enqueue(event).wait(30)
                if out.kind != "response":
                    raise RuntimeError(f"{module}: invoke failed: {out.body[:200]!r}")
            return count / (time.perf_counter() - started)
        finally:
            proc.kill()
            proc.wait()


def event_of(size: int) -> bytes:
    """A JSON object of exactly `size` bytes."""
    head = b'{"data":"'
    tail = b'"}'
    return head + b"x" * (size - len(head) - len(tail)) + tail


def _baseline_python(rev: str) -> Path:
    """A venv with the lambdabox of git revision `rev` (e.g. main), installed as an image has it."""
    import tempfile

    from bench import _venvs
    from lambdabox.testing.processes import make_venv

    commit = subprocess.run(
        ["git", "rev-parse", rev], cwd=_venvs.ROOT, check=True, capture_output=True, text=True
    ).stdout.strip()
    venv = _venvs.BENCH_DIR / "baseline"
    stamp = venv / ".lambdabox-ready"
    if stamp.exists() and stamp.read_text().endswith(commit):
        return venv / "bin" / "python"
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(
            ["git", "archive", commit], cwd=_venvs.ROOT, check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        return make_venv(venv, tmp, commit)


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of process `pid` so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def warm_run(
    python: Path, event: bytes, count: int, warmup: int = 20, module: str = "runtime_interface"
) -> tuple[float, float]:
    """(invokes/s, the client's CPU µs per invoke) over `count` sequential echoes: the CPU
    figure is what the client itself spends, and moves far less with machine load."""
    with RuntimeAPIServer(record_requests=False) as api:
        proc = _spawn(python, module, "echo.handler", api.address)
        try:
            for _ in range(warmup):
                api.enqueue(event).wait(30)
            cpu, started = _cpu_s(proc.pid), time.perf_counter()
            for _ in range(count):
                if api.enqueue(event).wait(30).kind != "response":
                    raise RuntimeError("invoke failed")
            wall, cpu = time.perf_counter() - started, _cpu_s(proc.pid) - cpu
            return count / wall, cpu / count * 1e6
        finally:
            proc.kill()
            proc.wait()


AWSLAMBDARIC = "awslambdaric"


def _ratio(figures: dict[str, float], key: str, rev: str) -> str:
    """`ours/REV` and `ours/awslambdaric` of the figures named `key` (`{}` for the side)."""
    ours = figures[key.format("ours")]
    return ", ".join(
        f"ours/{name} {ours / figures[key.format(name)]:.3f}" for name in (rev, AWSLAMBDARIC)
    )


def compare(rev: str, rounds: int = 5) -> dict[str, float]:
    """This checkout's client against revision `rev`'s and against awslambdaric: warm 100 B
    and 1 MB echoes (invokes/s and client CPU per invoke), the client's own work per invoke,
    and start-up (`python -m` and the `-c` launcher), in alternating rounds of the same run
    (medians), so all three see the same machine load."""
    from bench import _venvs

    sides = {
        "ours": (_venvs.lambdabox_python(), "runtime_interface"),
        rev: (_baseline_python(rev), "runtime_interface"),
        AWSLAMBDARIC: (_venvs.awslambdaric_python(), AWSLAMBDARIC),
    }
    figures: dict[str, float] = {}
    for label, size, count in (("100B", 100, 5000), ("1MB", 1024 * 1024, 300)):
        event = event_of(size)
        runs: dict[str, list[tuple[float, float]]] = {name: [] for name in sides}
        for _ in range(rounds):
            for name, (python, module) in sides.items():
                runs[name].append(warm_run(python, event, count, module=module))
        for name, results in runs.items():
            figures[f"warm_{label}_{name}_per_s"] = statistics.median(r[0] for r in results)
            figures[f"warm_{label}_{name}_cpu_us"] = statistics.median(r[1] for r in results)
        print(
            f"warm invokes, {label} echo: "
            + "; ".join(
                f"{name} {figures[f'warm_{label}_{name}_per_s']:,.0f}/s, "
                f"client CPU {figures[f'warm_{label}_{name}_cpu_us']:,.1f} µs/invoke"
                for name in sides
            )
            + f" (invokes/s {_ratio(figures, f'warm_{label}_{{}}_per_s', rev)}; "
            + f"CPU {_ratio(figures, f'warm_{label}_{{}}_cpu_us', rev)})",
            flush=True,
        )
    handle: dict[str, list[dict[str, float]]] = {name: [] for name in ("ours", rev)}
    script = str(Path(__file__).resolve().parent / "client_handle.py")
    for _ in range(3):
        for name, runs_of in handle.items():
            done = subprocess.run(
                [str(sides[name][0]), script, "40"], capture_output=True, text=True, check=True
            )
            runs_of.append(json.loads(done.stdout))
    for label in ("100B", "1MB"):
        for name, runs_of in handle.items():
            figures[f"handle_{label}_{name}_us"] = min(run[label] for run in runs_of)
        print(
            f"client work per warm invoke (Runtime.handle, no HTTP), {label} echo: "
            + "; ".join(f"{name} {figures[f'handle_{label}_{name}_us']:,.2f} µs" for name in handle)
            + f" (ours/{rev}: "
            f"{figures[f'handle_{label}_ours_us'] / figures[f'handle_{label}_{rev}_us']:.3f})",
            flush=True,
        )
    for launcher, tag in ((False, "m"), (True, "launcher")):
        starts: dict[str, list[float]] = {name: [] for name in sides}
        for _ in range(rounds):
            for name, (python, module) in sides.items():
                starts[name].append(startup_ms(python, module, 4, launcher=launcher)[0])
        for name, values in starts.items():
            figures[f"startup_{tag}_{name}_next_ms"] = statistics.median(values)
        print(
            f"start-up to first /next, {'-c launcher' if launcher else 'python -m'}: "
            + "; ".join(f"{name} {statistics.median(v):.1f} ms" for name, v in starts.items())
            + f" ({_ratio(figures, f'startup_{tag}_{{}}_next_ms', rev)})",
            flush=True,
        )
    return figures


if __name__ == "__main__":
    # python -m bench.runtime_client [REV [ROUNDS]]: this checkout's client vs REV's (default
    # main) and vs awslambdaric.
    import sys

    compare(
        sys.argv[1] if len(sys.argv) > 1 else "main", int(sys.argv[2]) if len(sys.argv) > 2 else 5
    )
