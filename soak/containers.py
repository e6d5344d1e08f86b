"""Container mode of the soak: faults from outside (``docker kill``) and what is left behind.

Only the containers of the soak's own runs are touched: they are found by the label
``lambdabox run`` puts on them (``lambdabox.run=<run id>``, read from its log), never by
name or image, since other runs may share the Docker daemon.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from typing import Any

import docker  # type: ignore[import-untyped]

from soak.ledger import Ledger

RUN_LABEL = "lambdabox.run"


class ContainerInjector:
    """Every ``period`` seconds, ``docker kill`` (SIGKILL, or SIGSTOP) one running container."""

    def __init__(self, ledger: Ledger, run_id: Callable[[], str | None], period: float) -> None:
        self._ledger = ledger
        self._run_id = run_id
        self._period = period
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._client: Any = docker.from_env()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(30)
        self._client.close()

    def _run(self) -> None:
        rng = random.Random(11)
        while not self._stop.wait(self._period):
            run_id = self._run_id()
            if run_id is None:
                continue
            try:
                running = self._client.containers.list(
                    filters={"label": f"{RUN_LABEL}={run_id}", "status": "running"}
                )
            except docker.errors.DockerException:
                continue
            if not running:
                continue
            victim = rng.choice(running)
            sig = "SIGKILL" if rng.random() < 0.6 else "SIGSTOP"
            try:
                victim.kill(signal=sig)
            except docker.errors.DockerException:
                continue  # gone meanwhile (recycled by the emulator)
            self._ledger.fault(f"docker kill -s {sig} container")


def leftover_containers(run_ids: set[str]) -> list[str]:
    """Names of containers (running or not) of these runs that still exist."""
    client: Any = docker.from_env()
    try:
        names: list[str] = []
        for run_id in sorted(run_ids):
            found = client.containers.list(all=True, filters={"label": f"{RUN_LABEL}={run_id}"})
            names += [c.name for c in found]
        return names
    finally:
        client.close()


def soak_image(say: Callable[[str], object]) -> str:
    """The soak's function as a local test image (built once, with progress lines)."""
    from pathlib import Path

    from lambdabox.testing.images import python_test_image

    def progress(line: str) -> None:
        say(f"image: {line}")

    app = Path(__file__).resolve().parent / "handler" / "app.py"
    return python_test_image(app_source=app, progress=progress)
