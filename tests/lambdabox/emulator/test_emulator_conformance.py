"""Three real runtimes through the emulator: our client, awslambdaric (PyPI), bash + curl."""

from __future__ import annotations

from pathlib import Path

import pytest

from lambdabox.testing.emulator import emulator, python_runtime
from lambdabox.testing.processes import make_venv

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"

CACHE = Path(__file__).resolve().parents[3] / ".cache"


@pytest.fixture(scope="session")
def awslambdaric_python() -> Path:
    """A venv with awslambdaric from PyPI, made once and kept in .cache/."""
    return make_venv(CACHE / "awslambdaric-venv", "awslambdaric")


def _runtime(kind: str, ric: Path) -> tuple[str, ...]:
    if kind == "ours":
        return python_runtime("app.handler")
    return (str(ric), "-m", "awslambdaric", "app.handler")


@pytest.fixture(params=["ours", "awslambdaric"])
def python_command(request: pytest.FixtureRequest, awslambdaric_python: Path) -> tuple[str, ...]:
    return _runtime(str(request.param), awslambdaric_python)


def test_echo_error_and_recovery(python_command: tuple[str, ...]) -> None:
    with emulator(python_command, timeout_s=1) as emu:
        ok = emu.invoke({"k": "v"})
        assert ok.status_code == 200
        assert ok.json()["echo"] == {"k": "v"}
        failed = emu.invoke({"action": "fail"})
        assert failed.headers["X-Amz-Function-Error"] == "Unhandled"
        assert failed.json()["errorType"] == "ValueError"
        assert failed.json()["errorMessage"] == "function failed"
        timed_out = emu.invoke({"action": "sleep", "seconds": 3})
        assert timed_out.json()["errorType"] == "Sandbox.Timedout"
        crashed = emu.invoke({"action": "crash", "code": 4})
        assert crashed.json()["errorType"] == "Runtime.ExitError"
        assert crashed.json()["errorMessage"].endswith("Runtime exited with error: exit status 4")
        assert emu.invoke({"last": 1}).json()["echo"] == {"last": 1}


def test_init_error(awslambdaric_python: Path) -> None:
    command = (str(awslambdaric_python), "-m", "awslambdaric", "broken.handler")
    with emulator(command) as emu:
        resp = emu.invoke({})
        assert resp.headers["X-Amz-Function-Error"] == "Unhandled"
        assert resp.json()["errorType"] == "Runtime.ImportModuleError"


def test_bash_runtime_with_timeout() -> None:
    with emulator(
        [str(SCENARIOS / "bash_runtime" / "bootstrap")],
        timeout_s=1,
        env={"SLOW_AFTER_RESPONSE": ""},
    ) as emu:
        assert emu.invoke({"x": 1}).json() == {"bash": {"x": 1}}
        assert emu.invoke([1, 2]).json() == {"bash": [1, 2]}
