"""`Launch.memory_mb`: the memory size an environment confines its runtime to."""

from __future__ import annotations

import pytest

from lambdabox.emulator.driver import ProcessDriver
from lambdabox.emulator.launch import DEFAULT_MEMORY_MB, Launch


@pytest.mark.parametrize(
    ("value", "expected"),
    [("512", 512), ("10240", 10240), ("0", 3008), ("-1", 3008), ("1.5", 3008), ("big", 3008)],
)
def test_memory_size_comes_from_the_runtime_environment(value: str, expected: int) -> None:
    launch = Launch(ProcessDriver(["true"]), {"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": value})
    assert launch.memory_mb == expected


def test_memory_size_defaults_to_3008_mb_when_unset() -> None:
    assert DEFAULT_MEMORY_MB == 3008
    assert Launch(ProcessDriver(["true"]), {}).memory_mb == 3008
