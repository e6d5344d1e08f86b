"""The pytest plugin's fixtures, used as a user would."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from lambdabox.harness import LambdaFunction

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
Factory = Callable[..., LambdaFunction]


def test_invoke_gives_a_typed_result(lambda_function: Factory) -> None:
    fn = lambda_function("app.handler", root=SCENARIOS / "emulator", timeout=5, memory=256)
    result = fn.invoke({"hello": "harness"})
    assert result.ok
    assert result.payload["echo"] == {"hello": "harness"}
    assert result.logs[0].startswith(f"START RequestId: {result.request_id}")
    assert result.logs[-1].startswith(f"REPORT RequestId: {result.request_id}")
    assert any("handled" in line for line in result.output)
    assert result.memory_size_mb == 256
    assert (result.max_memory_mb or 0) > 0
    assert result.duration_ms is not None
    assert result.billed_duration_ms is not None


def test_warm_reuse_across_tests(lambda_function: Factory) -> None:
    options = {"root": SCENARIOS / "emulator", "timeout": 5, "memory": 256}
    fn = lambda_function("app.handler", **options)
    assert lambda_function("app.handler", **options) is fn  # one per session and options
    fn.invoke({})
    assert fn.invoke({}).init_duration_ms is None


def test_cold_on_request(lambda_function: Factory) -> None:
    fn = lambda_function("app.handler", root=SCENARIOS / "emulator", cold=True)
    assert fn.invoke({}).init_duration_ms is not None
    assert fn.invoke({}).init_duration_ms is None
    fn.recycle()
    assert fn.invoke({}).init_duration_ms is not None


def test_errors_timeouts_and_client_context(lambda_function: Factory) -> None:
    fn = lambda_function("app.handler", root=SCENARIOS / "emulator", timeout=1)
    failed = fn.invoke({"action": "fail"})
    assert (failed.error_type, failed.error_message) == ("ValueError", "function failed")
    timed_out = fn.invoke_expecting_timeout({"action": "sleep", "seconds": 3})
    assert "Task timed out after 1.00 seconds" in (timed_out.error_message or "")
    ctx = fn.invoke({"action": "context"}, client_context={"custom": {"k": "v"}})
    assert ctx.payload["custom"] == {"k": "v"}


def test_concurrent_invokes(lambda_function: Factory) -> None:
    fn = lambda_function("app.handler", root=SCENARIOS / "emulator", concurrency=3)
    results = fn.invoke_concurrently([{"action": "sleep", "seconds": 0.3}] * 3)
    assert [r.status for r in results] == [200, 200, 200]
    assert len({r.request_id for r in results}) == 3


def test_event_invocation_type(lambda_function: Factory) -> None:
    fn = lambda_function("app.handler", root=SCENARIOS / "emulator")
    assert fn.invoke({}, invocation_type="Event").status == 202
    assert fn.invoke({}, invocation_type="DryRun").status == 204


def test_lambda_image_fixture_runs_a_container(lambda_image: Factory) -> None:
    from lambdabox.testing.images import python_test_image

    fn = lambda_image(python_test_image(), timeout=5, memory=256)
    result = fn.invoke({"from": "image"})
    assert result.ok
    assert result.payload["echo"] == {"from": "image"}
    assert result.payload["pid"] == 1  # the runtime is the container's PID 1
    assert result.memory_size_mb == 256
    assert any("handled" in line for line in result.output)
