"""Only an environment's own processes may use its Runtime API (process mode here; the
container case is in tests/lambdabox/emulator/test_hostile_functions.py)."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from lambdabox.emulator.sandbox import guard as guard_module
from lambdabox.emulator.sandbox.guard import Forbidden, RuntimeAPIGuard
from lambdabox.testing.emulator import emulator, python_runtime

HOSTILE = Path(__file__).resolve().parents[3] / "scenarios" / "hostile"
NEXT = "/2018-06-01/runtime/invocation/next"


def test_a_connection_made_before_the_runtime_is_known_waits_for_it() -> None:
    async def scenario() -> float:
        server = socket.create_server(("127.0.0.1", 0))
        local = (str(server.getsockname()[0]), int(server.getsockname()[1]))
        with server, socket.create_connection(local), server.accept()[0] as accepted:
            peer = accepted.getpeername()
            said: list[str] = []
            guard = RuntimeAPIGuard("runtime-api-7", lambda: local, warn=said.append, wait_s=5)
            guard.expect()  # the runtime is being started: its pid is not known yet
            asyncio.get_running_loop().call_later(0.2, guard.know, lambda: [os.getpid()])
            started = time.monotonic()
            await guard.admit(1, peer, NEXT)
            assert 1 in guard.admitted
            assert said == []
            await guard.admit(1, peer, NEXT)  # checked once per connection
            return time.monotonic() - started

    assert asyncio.run(scenario()) >= 0.2


def test_a_process_of_another_environment_is_refused() -> None:
    async def scenario() -> None:
        server = socket.create_server(("127.0.0.1", 0))
        local = (str(server.getsockname()[0]), int(server.getsockname()[1]))
        with server, socket.create_connection(local), server.accept()[0] as accepted:
            peer = accepted.getpeername()
            said: list[str] = []
            guard = RuntimeAPIGuard("runtime-api-7", lambda: local, warn=said.append)
            guard.know(lambda: [os.getppid()])
            with pytest.raises(Forbidden, match="own AWS_LAMBDA_RUNTIME_API"):
                await guard.admit(1, peer, NEXT)
            await guard.admit(1, peer, "/openapi.json")  # harmless to anyone
            assert guard.admitted == set()
            assert guard.refused == 1
            assert said == [
                f"lambdabox: warning: runtime-api-7: refused a connection from "
                f"{peer[0]}:{peer[1]}: it is not a process of this environment"
            ]
            guard.expect()  # no runtime ever starts: refused after the wait
            guard._wait_s = 0.1
            with pytest.raises(Forbidden, match="no runtime of this environment is starting"):
                await guard.admit(2, peer, NEXT)

    asyncio.run(scenario())


def test_an_unknown_mode_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="must be one of own, any: 'all'"):
        RuntimeAPIGuard("x", lambda: ("127.0.0.1", 1), mode="all")


def test_the_emulator_refuses_other_processes(capfd: pytest.CaptureFixture[str]) -> None:
    with emulator(python_runtime("app.handler"), cwd=HOSTILE) as emu:
        base = f"http://{emu.emulator.runtime_api_address}"
        resp = requests.get(base + NEXT, timeout=10)
        assert resp.status_code == 403
        assert resp.headers["Connection"] == "close"
        body = resp.json()
        assert body["errorType"] == "AccessDeniedException"
        assert "own AWS_LAMBDA_RUNTIME_API" in body["errorMessage"]
        assert requests.get(base + "/openapi.json", timeout=10).status_code == 200
        # The runtime itself (and its event) were not disturbed.
        assert emu.invoke({"x": 1}).json()["echo"] == {"x": 1}
    assert "refused a connection from 127.0.0.1:" in capfd.readouterr().err


def test_any_mode_lets_every_process_in() -> None:
    with emulator(python_runtime("app.handler"), cwd=HOSTILE, runtime_api_peers="any") as emu:
        base = f"http://{emu.emulator.runtime_api_address}"
        resp = requests.post(f"{base}/2018-06-01/runtime/invocation/nope/response", timeout=10)
        assert (resp.status_code, resp.json()["errorType"]) == (400, "InvalidRequestID")


def test_a_process_mode_function_cannot_take_another_environments_event() -> None:
    with emulator(python_runtime("app.handler"), cwd=HOSTILE, max_concurrency=2) as emu:
        with ThreadPoolExecutor(2) as pool:  # both environments up
            list(pool.map(lambda n: emu.invoke({"n": n}, timeout=30), range(2)))
        addresses = [env.address for env in emu.emulator.pool.environments]
        assert len(addresses) == 2
        with ThreadPoolExecutor(3) as pool:
            busy = pool.submit(emu.invoke, {"action": "sleep", "seconds": 3}, timeout=30)
            time.sleep(0.5)
            event = {"action": "other_runtime_api", "addresses": addresses, "wait": 8}
            thief = pool.submit(emu.invoke, event, timeout=30)
            assert busy.result().status_code == 200
            time.sleep(0.3)
            victim = pool.submit(emu.invoke, {"secret": "victim"}, timeout=30)
            stolen = thief.result().json()
            answer = victim.result()
        assert stolen["status"] == 403, stolen
        assert json.loads(stolen["body"])["errorType"] == "AccessDeniedException"
        assert answer.json()["echo"] == {"secret": "victim"}


def test_without_root_connections_are_let_in_with_one_warning(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def hidden(_pids: object, _inode: int) -> None:
        raise PermissionError("cannot read the descriptors of the environment's processes")

    monkeypatch.setattr(guard_module, "holder", hidden)

    async def scenario() -> list[str]:
        server = socket.create_server(("127.0.0.1", 0))
        local = (str(server.getsockname()[0]), int(server.getsockname()[1]))
        with server, socket.create_connection(local), server.accept()[0] as accepted:
            said: list[str] = []
            guard = RuntimeAPIGuard("runtime-api-3", lambda: local, warn=said.append)
            guard.know(lambda: [1])
            await guard.admit(1, accepted.getpeername(), NEXT)
            await guard.admit(2, accepted.getpeername(), NEXT)
            assert guard.admitted == {1, 2}
            return said

    said = asyncio.run(scenario())
    assert len(said) == 1
    assert "cannot tell which process connected" in said[0]
    assert "run the emulator as root" in said[0]
