"""Fixtures for the SQS mapping tests: one moto server per session, and `sqs_app`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from lambdabox.services.moto_server import MotoServer
from lambdabox.testing.sqs_app import LoopThread, SqsApp

FUNCTIONS = Path(__file__).parent / "functions"


@pytest.fixture(scope="session")
def moto_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    with MotoServer(log=str(log)) as server:
        yield server.endpoint


@pytest.fixture
def sqs_app(moto_endpoint: str, tmp_path: Path) -> Iterator[Callable[..., SqsApp]]:
    loop = LoopThread()
    apps: list[SqsApp] = []

    def make(**options: Any) -> SqsApp:
        app = SqsApp(moto_endpoint, tmp_path, loop, FUNCTIONS)
        apps.append(app)
        return app.start(**options)

    yield make
    for app in apps:
        app.close()
    loop.stop()
