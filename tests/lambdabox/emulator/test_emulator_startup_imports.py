"""What `lambdabox emulate` imports before its first answer: nothing that only later or
rarer requests need. Read from the interpreter's own import log (`python -X importtime`
writes one line per module to stderr as it is imported); `--log-level debug` prints the
start-up marks once the first answer is sent, so every module logged before those lines
was imported on the way to that answer. No timing is asserted: only which modules."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from lambdabox.testing.processes import emulate_command, first_invoke, free_port

APP = Path(__file__).resolve().parents[2] / "scenarios" / "emulator"
MARK = "lambdabox emulate: start-up "

NOT_BEFORE_FIRST_ANSWER = {
    "sqlite3": "the Event journal opens on the first Event invocation",
    "shutil": "the help formatter is sized without it",
    "argparse": "a plain command line is parsed by lambdabox.emulator.quick",
    "datetime": "timestamps of destination records and telemetry, imported when made",
    "lambdabox.cli": "nor does it need the parser of every command",
    "uuid": "ids come from os.urandom",
    "secrets": "ids come from os.urandom",
    "hashlib": "nothing on the path hashes",
    "lambdabox.emulator.openapi": "imported by GET /openapi.json",
    "lambdabox.emulator.asyncinvoke": "the Event queue is made by the first Event invocation",
    "lambdabox.emulator.eventstream": "imported by response-streaming invocations",
    "docker": "container mode only",
    "boto3": "not the emulator's",
    "botocore": "not the emulator's",
}


def _imported_before_first_answer(init: str) -> tuple[list[str], set[str]]:
    """The modules imported before the first answer, and the emulator's mapped files then."""
    port = free_port()
    runtime = [sys.executable, "-m", "runtime_interface", "app.handler"]
    command = emulate_command(
        port, runtime, "--init", init, "--log-level", "debug", "--extensions-dir", "/nonexistent"
    )
    command[1:1] = ["-X", "importtime"]
    proc = subprocess.Popen(
        command, cwd=APP, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        answer = first_invoke(port)
        assert answer.status_code == 200
        maps = Path(f"/proc/{proc.pid}/maps").read_text()
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
    lines = err.splitlines()
    marks = [n for n, line in enumerate(lines) if line.startswith(MARK)]
    assert marks, err[-2000:]  # the debug marks (printed at the first answer) are there
    modules = []
    for line in lines[: marks[0]]:
        if line.startswith("import time:") and line.count("|") == 2:
            modules.append(line.rsplit("|", 1)[1].strip())
    return modules, _mapped_files(maps)


def _mapped_files(maps: str) -> set[str]:
    """The file names (not paths) mapped into a process, from its /proc/PID/maps."""
    return {line.split()[-1].rsplit("/", 1)[-1] for line in maps.splitlines() if "/" in line}


def _maps_ssl(files: set[str]) -> bool:
    """Whether the ssl module's extension (`_ssl.cpython-...so`) is loaded."""
    return any(name.startswith("_ssl.") for name in files)


def test_the_ssl_check_sees_a_loaded_ssl() -> None:
    import ssl  # noqa: F401  (this process's requests imports it anyway)

    assert _maps_ssl(_mapped_files(Path("/proc/self/maps").read_text()))


def test_lazy_first_answer_imports_only_what_it_needs() -> None:
    modules, mapped = _imported_before_first_answer("lazy")
    assert "lambdabox.emulator.server" in modules  # the log covers the emulator's imports
    unexpected = {name: why for name, why in NOT_BEFORE_FIRST_ANSWER.items() if name in modules}
    assert not unexpected, unexpected
    assert not _maps_ssl(mapped), "both APIs are plain HTTP: asyncio is imported without ssl"


def test_eager_first_answer_imports_only_what_it_needs() -> None:
    modules, mapped = _imported_before_first_answer("eager")
    assert "lambdabox.emulator.server" in modules
    unexpected = {name: why for name, why in NOT_BEFORE_FIRST_ANSWER.items() if name in modules}
    assert not unexpected, unexpected
    assert not _maps_ssl(mapped), "both APIs are plain HTTP: asyncio is imported without ssl"
