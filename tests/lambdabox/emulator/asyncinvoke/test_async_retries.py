"""Asynchronous invocation against real functions: retries with the service's (scaled)
delays, MaximumRetryAttempts, MaximumEventAgeInSeconds, crashes, throttling, and the
OnSuccess/OnFailure records delivered to a second real function."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from lambdabox.app.invoker import EmulatorInvoker
from lambdabox.emulator.asyncinvoke import MessageAttribute
from lambdabox.emulator.config import EmulatorConfig, EventInvokeConfig, FunctionConfig
from lambdabox.emulator.server import Emulator

HANDLERS = """
import json, os, time

LOG = os.environ["ASYNC_TEST_LOG"]


def _note(kind, event, context, **extra):
    line = {"kind": kind, "id": context.aws_request_id, "event": event, "at": time.time(), **extra}
    with open(LOG, "a") as f:
        f.write(json.dumps(line) + "\\n")


def _attempts(request_id):
    with open(LOG) as f:
        return sum(1 for line in f if json.loads(line)["id"] == request_id)


def flaky(event, context):
    _note("flaky", event, context)
    count = _attempts(context.aws_request_id)
    if count <= 2:
        raise RuntimeError(f"attempt {count} fails")
    return {"ok": count}


def always_fail(event, context):
    _note("fail", event, context)
    raise ValueError("always broken")


def crash_once(event, context):
    _note("crash", event, context)
    if _attempts(context.aws_request_id) == 1:
        os._exit(3)
    return "survived"


def slow(event, context):
    _note("slow", event, context)
    time.sleep(event.get("sleep", 1.0))
    return "slept"


def recorder(event, context):
    _note("recorder", event, context)
"""


@dataclass
class Sinks:
    """A DestinationSink: function ARNs to the application's functions (Event invocations),
    anything else (a queue) recorded here with its dead-letter attributes."""

    invoker: EmulatorInvoker | None = None
    queued: list[tuple[str, bytes, Mapping[str, MessageAttribute] | None]] = field(
        default_factory=list
    )

    async def deliver(self, target_arn: str, record: bytes) -> None:
        if ":lambda:" in target_arn and self.invoker is not None:
            await self.invoker.invoke_event(target_arn, record)
        else:
            self.queued.append((target_arn, record, None))

    async def deliver_dead_letter(
        self, target_arn: str, body: bytes, attributes: Mapping[str, MessageAttribute]
    ) -> None:
        self.queued.append((target_arn, body, attributes))


@dataclass
class AsyncWorld:
    """Emulators started on one event loop, the handlers' log, the destination sink."""

    code: Path
    log: Path
    sinks: Sinks

    def lines(self, kind: str | None = None) -> list[dict[str, Any]]:
        if not self.log.exists():
            return []
        rows = [json.loads(line) for line in self.log.read_text().splitlines() if line]
        return [r for r in rows if kind is None or r["kind"] == kind]

    async def wait_for(
        self, test: Callable[[], bool], timeout: float = 30.0, what: str = "condition"
    ) -> None:
        """Bounded wait for the real invocations to happen (polls the handlers' log)."""
        deadline = time.monotonic() + timeout
        while not test():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; log: {self.lines()}")
            await asyncio.sleep(0.05)

    def config(
        self,
        name: str,
        handler: str,
        asynchronous: EventInvokeConfig | None = None,
        *,
        scale: float = 0.01,
        concurrency: int = 1,
        timeout_s: float = 10,
    ) -> EmulatorConfig:
        return EmulatorConfig(
            command=(sys.executable, "-m", "runtime_interface", f"handlers.{handler}"),
            function=FunctionConfig(
                name=name, timeout_s=timeout_s, asynchronous=asynchronous or EventInvokeConfig()
            ),
            cwd=str(self.code),
            handler=f"handlers.{handler}",
            runtime_env={"ASYNC_TEST_LOG": str(self.log)},
            invoke_port=0,
            runtime_api_port=0,
            max_concurrency=concurrency,
            log_level="error",
            extensions_dir=None,
            retry_delay_scale=scale,
            destinations=self.sinks,
        )

    async def run(
        self,
        configs: Mapping[str, EmulatorConfig],
        body: Callable[[EmulatorInvoker], Awaitable[None]],
    ) -> None:
        emulators = {
            name: Emulator(config, log=lambda _l: None) for name, config in configs.items()
        }
        for emulator in emulators.values():
            await emulator.start()
        invoker = EmulatorInvoker(emulators)
        self.sinks.invoker = invoker
        try:
            await body(invoker)
        finally:
            for emulator in emulators.values():
                await emulator.close()


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncWorld:
    code = tmp_path / "code"
    code.mkdir()
    (code / "handlers.py").write_text(HANDLERS)
    log = tmp_path / "invocations.jsonl"
    monkeypatch.setenv("ASYNC_TEST_LOG", str(log))
    return AsyncWorld(code=code, log=log, sinks=Sinks())


RECORDER_ARN = "arn:aws:lambda:us-east-1:012345678912:function:Recorder"


SCALE = 0.01  # retries after 0.6 s and 1.2 s instead of 1 and 2 minutes


def _records(world: AsyncWorld) -> list[dict[str, Any]]:
    return [line["event"] for line in world.lines("recorder")]


def test_fails_twice_then_succeeds_and_on_success_gets_the_record(world: AsyncWorld) -> None:
    config = EventInvokeConfig(on_success=RECORDER_ARN)
    configs = {
        "Flaky": world.config("Flaky", "flaky", config, scale=SCALE),
        "Recorder": world.config("Recorder", "recorder"),
    }

    async def body(invoker: EmulatorInvoker) -> None:
        request_id = await invoker.invoke_event("Flaky", b'{"order": 7}')
        await world.wait_for(lambda: len(_records(world)) == 1, what="the OnSuccess record")
        attempts = world.lines("flaky")
        assert [a["id"] for a in attempts] == [request_id] * 3  # one request id, 3 attempts
        gaps = [b["at"] - a["at"] for a, b in zip(attempts, attempts[1:], strict=False)]
        assert gaps[0] >= 60 * SCALE
        assert gaps[1] >= 120 * SCALE
        record = _records(world)[0]
        assert set(record) == {
            "version",
            "timestamp",
            "requestContext",
            "requestPayload",
            "responseContext",
            "responsePayload",
        }
        assert record["version"] == "1.0"
        assert record["requestContext"] == {
            "requestId": request_id,
            "functionArn": "arn:aws:lambda:us-east-1:012345678912:function:Flaky:$LATEST",
            "condition": "Success",
            "approximateInvokeCount": 3,
        }
        assert record["requestPayload"] == {"order": 7}
        assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST"}
        assert record["responsePayload"] == {"ok": 3}
        assert record["timestamp"].endswith("Z")

    asyncio.run(world.run(configs, body))


def test_always_failing_goes_to_on_failure_and_the_dead_letter_queue(world: AsyncWorld) -> None:
    dlq = "arn:aws:sqs:us-east-1:012345678912:dead-letters"
    config = EventInvokeConfig(on_failure=RECORDER_ARN, dead_letter=dlq)
    configs = {
        "Broken": world.config("Broken", "always_fail", config, scale=SCALE),
        "Recorder": world.config("Recorder", "recorder"),
    }

    async def body(invoker: EmulatorInvoker) -> None:
        request_id = await invoker.invoke_event("Broken", b'{"n": 1}')
        await world.wait_for(lambda: len(_records(world)) == 1, what="the OnFailure record")
        await world.wait_for(lambda: len(world.sinks.queued) == 1, what="the DLQ message")
        assert len(world.lines("fail")) == 3  # the first attempt and 2 retries
        record = _records(world)[0]
        assert record["requestContext"]["condition"] == "RetriesExhausted"
        assert record["requestContext"]["approximateInvokeCount"] == 3
        assert record["requestContext"]["requestId"] == request_id
        assert record["responseContext"] == {
            "statusCode": 200,
            "executedVersion": "$LATEST",
            "functionError": "Unhandled",
        }
        assert record["responsePayload"]["errorType"] == "ValueError"
        assert record["responsePayload"]["errorMessage"] == "always broken"
        target, body_bytes, attributes = world.sinks.queued[0]
        assert target == dlq
        assert json.loads(body_bytes) == {"n": 1}  # the event, unchanged
        assert attributes is not None
        assert attributes["RequestID"].value == request_id
        assert (attributes["ErrorCode"].data_type, attributes["ErrorCode"].value) == (
            "Number",
            "200",
        )
        assert attributes["ErrorMessage"].value == "always broken"

    asyncio.run(world.run(configs, body))


def test_maximum_retry_attempts_zero_runs_once(world: AsyncWorld) -> None:
    config = EventInvokeConfig(maximum_retry_attempts=0, on_failure=RECORDER_ARN)
    configs = {
        "Broken": world.config("Broken", "always_fail", config, scale=SCALE),
        "Recorder": world.config("Recorder", "recorder"),
    }

    async def body(invoker: EmulatorInvoker) -> None:
        await invoker.invoke_event("Broken", b"{}")
        await world.wait_for(lambda: len(_records(world)) == 1, what="the OnFailure record")
        await asyncio.sleep(60 * SCALE * 2)  # past when a retry would have been due
        assert len(world.lines("fail")) == 1
        assert _records(world)[0]["requestContext"]["approximateInvokeCount"] == 1

    asyncio.run(world.run(configs, body))


def test_an_event_older_than_its_maximum_age_is_not_run_again(world: AsyncWorld) -> None:
    # 150 s scaled: the retry after 60 s runs, the one after 60 + 120 s is too old (margins
    # of 90 s and 30 s scaled, for a loaded machine).
    config = EventInvokeConfig(maximum_event_age_s=150, on_failure=RECORDER_ARN)
    configs = {
        "Broken": world.config("Broken", "always_fail", config, scale=SCALE),
        "Recorder": world.config("Recorder", "recorder"),
    }

    async def body(invoker: EmulatorInvoker) -> None:
        await invoker.invoke_event("Broken", b'{"old": true}')
        await world.wait_for(lambda: len(_records(world)) == 1, what="the OnFailure record")
        record = _records(world)[0]
        assert record["requestContext"]["condition"] == "EventAgeExceeded"
        assert record["requestContext"]["approximateInvokeCount"] == 2
        assert len(world.lines("fail")) == 2

    asyncio.run(world.run(configs, body))


def test_a_crash_is_a_function_error_and_is_retried(world: AsyncWorld) -> None:
    config = EventInvokeConfig(on_success=RECORDER_ARN)
    configs = {
        "Crashy": world.config("Crashy", "crash_once", config, scale=SCALE),
        "Recorder": world.config("Recorder", "recorder"),
    }

    async def body(invoker: EmulatorInvoker) -> None:
        await invoker.invoke_event("Crashy", b"{}")
        await world.wait_for(lambda: len(_records(world)) == 1, what="the OnSuccess record")
        assert len(world.lines("crash")) == 2
        record = _records(world)[0]
        assert record["requestContext"]["approximateInvokeCount"] == 2
        assert record["responsePayload"] == "survived"

    asyncio.run(world.run(configs, body))


def test_throttled_events_wait_for_an_environment(world: AsyncWorld) -> None:
    configs = {"Slow": world.config("Slow", "slow", scale=SCALE, concurrency=1)}

    async def body(invoker: EmulatorInvoker) -> None:
        busy = asyncio.ensure_future(invoker.invoke("Slow", b'{"sleep": 1.0}'))
        await world.wait_for(lambda: len(world.lines("slow")) == 1, what="the sync invoke")
        ids = [await invoker.invoke_event("Slow", b'{"sleep": 0.05}') for _ in range(3)]
        await busy
        await world.wait_for(lambda: len(world.lines("slow")) == 4, what="the queued events")
        assert sorted(line["id"] for line in world.lines("slow")[1:]) == sorted(ids)

    asyncio.run(world.run(configs, body))


def test_a_timeout_is_a_function_error_and_is_retried(world: AsyncWorld) -> None:
    config = EventInvokeConfig(maximum_retry_attempts=1, on_failure=RECORDER_ARN)
    configs = {
        "Sleepy": world.config("Sleepy", "slow", config, scale=SCALE, timeout_s=1),
        "Recorder": world.config("Recorder", "recorder"),
    }

    async def body(invoker: EmulatorInvoker) -> None:
        await invoker.invoke_event("Sleepy", b'{"sleep": 5}')
        await world.wait_for(lambda: len(_records(world)) == 1, what="the OnFailure record")
        assert len(world.lines("slow")) == 2  # the attempt and its one retry
        record = _records(world)[0]
        assert record["requestContext"]["condition"] == "RetriesExhausted"
        assert record["requestContext"]["approximateInvokeCount"] == 2
        assert record["responseContext"]["functionError"] == "Unhandled"
        assert record["responsePayload"]["errorType"] == "Sandbox.Timedout"

    asyncio.run(world.run(configs, body))
