"""pytest plugin `lambdabox`: functions under the emulator as fixtures.

    def test_greets(lambda_function):
        fn = lambda_function("app.handler", root="src", timeout=3)
        result = fn.invoke({"name": "x"})
        assert result.payload == {"message": "Hello, x!"}

    def test_image(lambda_image):
        fn = lambda_image("my-function:dev")

Functions are started once per session for each distinct set of options and reused
(warm) by later tests; pass `cold=True` for a fresh one, stopped at the end of the test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest

from lambdabox.harness.function import LambdaFunction


class _Functions:
    """Running functions of a session, by their options."""

    def __init__(self) -> None:
        self.warm: dict[tuple[Any, ...], LambdaFunction] = {}

    def get(self, key: tuple[Any, ...], make: Callable[[], LambdaFunction]) -> LambdaFunction:
        fn = self.warm.get(key)
        if fn is None:
            fn = self.warm[key] = make().start()
        return fn

    def close(self) -> None:
        for fn in self.warm.values():
            fn.close()
        self.warm.clear()


@pytest.fixture(scope="session")
def _lambdabox_functions() -> Iterator[_Functions]:
    functions = _Functions()
    yield functions
    functions.close()


def _key(kind: str, target: str, options: Mapping[str, Any]) -> tuple[Any, ...]:
    frozen = tuple(
        sorted(
            (k, tuple(sorted(v.items())) if isinstance(v, dict) else v) for k, v in options.items()
        )
    )
    return (kind, target, frozen)


@pytest.fixture
def lambda_function(_lambdabox_functions: _Functions) -> Iterator[Callable[..., LambdaFunction]]:
    """Factory: `lambda_function(handler, root=".", timeout=30, memory=128, env=None,
    concurrency=1, cold=False)` -> a running LambdaFunction (process mode)."""
    cold_ones: list[LambdaFunction] = []

    def make(handler: str, *, cold: bool = False, **options: Any) -> LambdaFunction:
        if cold:
            fn = LambdaFunction.from_handler(handler, **options).start()
            cold_ones.append(fn)
            return fn
        return _lambdabox_functions.get(
            _key("handler", handler, options),
            lambda: LambdaFunction.from_handler(handler, **options),
        )

    yield make
    for fn in cold_ones:
        fn.close()


@pytest.fixture
def lambda_image(_lambdabox_functions: _Functions) -> Iterator[Callable[..., LambdaFunction]]:
    """Factory: `lambda_image(image, timeout=30, memory=128, env=None, concurrency=1,
    handler=None, cold=False)` -> a running LambdaFunction (container mode)."""
    cold_ones: list[LambdaFunction] = []

    def make(image: str, *, cold: bool = False, **options: Any) -> LambdaFunction:
        if cold:
            fn = LambdaFunction.from_image(image, **options).start()
            cold_ones.append(fn)
            return fn
        return _lambdabox_functions.get(
            _key("image", image, options), lambda: LambdaFunction.from_image(image, **options)
        )

    yield make
    for fn in cold_ones:
        fn.close()
