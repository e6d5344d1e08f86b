"""Fixtures shared by the application tests: the two-function scenario, `lambdabox up`."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from lambdabox.testing.up import UpLauncher, UpProcess

SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "app_two_functions"


@pytest.fixture
def two_functions(tmp_path: Path) -> Path:
    """A copy of the two-function application (HelloFunction with a layer, OrdersFunction
    named orders-fn), free to edit."""
    return Path(shutil.copytree(SCENARIO, tmp_path / "app"))


@pytest.fixture
def start_up(tmp_path: Path) -> Iterator[Callable[..., UpProcess]]:
    """Start `lambdabox up --json ARGS` (waits for its listing); killed afterwards."""
    with UpLauncher(tmp_path) as launcher:
        yield launcher.start
