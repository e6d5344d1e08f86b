"""Fixtures of the RabbitMQ mapping tests: one real rabbitmq-server per session (it takes
seconds to start), on 127.0.0.1 with its own ports and data folder, stopped afterwards."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lambdabox.services.rabbitmq import RabbitMQServer


@pytest.fixture(scope="session")
def broker() -> Iterator[RabbitMQServer]:
    with RabbitMQServer() as server:
        yield server
