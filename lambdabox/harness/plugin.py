"""pytest plugin `lambdabox`: functions under the emulator as fixtures.

    def test_greets(lambda_function):
        fn = lambda_function("app.handler", root="src", timeout=3)
        result = fn.invoke({"name": "x"})
        assert result.payload == {"message": "Hello, x!"}

    def test_image(lambda_image):
        fn = lambda_image("my-function:dev")

    def test_app(lambda_app):               # the application of template.yaml
        assert lambda_app.invoke("HelloFunction", {}).payload == {...}
        fired = lambda_app.schedule.advance(minutes=5)

Functions are started once per session for each distinct set of options and reused
(warm) by later tests; pass `cold=True` for a fresh one, stopped at the end of the test.
`lambda_app` runs the template named by the `lambdabox_template` ini option (default
template.yaml in the rootdir) once per session; `lambda_app_factory(template, ...)` runs
others.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from lambdabox.harness.function import LambdaFunction

if TYPE_CHECKING:
    from lambdabox.harness.app import LambdaApp


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


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "lambdabox_template",
        "the SAM template `lambda_app` runs (relative to the rootdir; default template.yaml)",
        default="template.yaml",
    )
    parser.addini(
        "lambdabox_parameter_overrides",
        "NAME=VALUE template parameters for `lambda_app`",
        type="linelist",
        default=[],
    )


@pytest.fixture(scope="session")
def lambda_app_factory() -> Iterator[Callable[..., LambdaApp]]:
    """Factory: `lambda_app_factory(template, parameter_overrides=None, mode=None,
    functions=(), env_vars=None, import_values=None)` -> a running LambdaApp, one per
    distinct set of options for the whole session."""
    running: dict[tuple[Any, ...], LambdaApp] = {}

    def make(template: str | Path, **options: Any) -> LambdaApp:
        from lambdabox.harness.app import LambdaApp

        key = _key("app", str(Path(template).resolve()), options)
        if key not in running:
            app = LambdaApp(Path(template), **options)
            try:
                running[key] = app.start()
            except BaseException:
                app.close()
                raise
        return running[key]

    yield make
    for app in running.values():
        app.close()


@pytest.fixture(scope="session")
def lambda_app(
    request: pytest.FixtureRequest, lambda_app_factory: Callable[..., LambdaApp]
) -> LambdaApp:
    """The application of the `lambdabox_template` ini option (default template.yaml in the
    rootdir), started once per session: `.invoke(fn, event)`, `.http.get("/path")`,
    `.schedule.advance(minutes=5)`, `.logs(fn)`, and `.sqs`/`.kinesis`/`.rabbitmq` helpers."""
    from lambdabox.template import parse_overrides

    template = Path(str(request.config.rootpath)) / str(request.config.getini("lambdabox_template"))
    overrides = parse_overrides(request.config.getini("lambdabox_parameter_overrides"))
    return lambda_app_factory(template, parameter_overrides=overrides or None)
