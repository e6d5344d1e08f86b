"""Fixtures shared by the trigger tests that run `lambdabox up` as a real subprocess."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lambdabox.testing.up import UpLauncher


@pytest.fixture
def launcher(tmp_path: Path) -> Iterator[UpLauncher]:
    """Starts `lambdabox up` processes; stops every one of them after the test."""
    with UpLauncher(tmp_path) as launcher:
        yield launcher
