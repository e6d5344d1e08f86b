"""RabbitMQ mappings on a real broker (one rabbitmq-server for the module: it takes
seconds to start), driving a real function under the emulator in process mode."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import json
import sys
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiormq
import pytest

from lambdabox.app.invoker import EmulatorInvoker
from lambdabox.emulator.config import EmulatorConfig, FunctionConfig
from lambdabox.emulator.server import Emulator
from lambdabox.services.rabbitmq import RabbitMQServer, _amqp_answers
from lambdabox.template.model import Resource, Template
from lambdabox.triggers import rabbitmq
from lambdabox.triggers.ports import AppSettings
from lambdabox.triggers.rabbitmq.config import mappings
from lambdabox.triggers.rabbitmq.errors import MappingConfigError
from lambdabox.triggers.rabbitmq.testing import RabbitHelper, queue_counts

BROKER_ARN = "arn:aws:mq:us-east-1:123456789012:broker:local:b-1234a5b6-78cd-901e-2fgh-3i45j6k178l9"

# Records every event it gets; each message body decides what the invocation does:
#   fail...        raises every time        flaky...  raises the first time only
#   exit-once...   kills its process once   sleep-once...  outlives the timeout once
HANDLER = """
import base64, hashlib, json, os, time

def handler(event, context):
    with open(os.environ["EVENTS_FILE"], "a") as f:
        f.write(json.dumps(event) + "\\n")
    bodies = [base64.b64decode(m["data"]).decode("latin-1")
              for msgs in event["rmqMessagesByQueue"].values() for m in msgs]
    for body in bodies:
        marker = os.path.join(os.environ["MARKERS"], hashlib.sha1(body.encode()).hexdigest())
        first = not os.path.exists(marker)
        if first:
            open(marker, "w").close()
        if body.startswith("fail"):
            raise ValueError("poisoned message " + body)
        if first and body.startswith("flaky"):
            raise ValueError("flaky " + body)
        if first and body.startswith("exit-once"):
            os._exit(3)
        if first and body.startswith("sleep-once"):
            time.sleep(30)
    return {"handled": len(bodies)}
"""


@dataclass
class App:
    """The running application: its helper, notes (log lines) and the function's events."""

    helper: RabbitHelper
    mappings: list[rabbitmq.RabbitMQMapping]
    events_file: Path
    notes: list[str] = field(default_factory=list)
    logs: list[str] = field(default_factory=list)

    def events(self) -> list[Any]:

        if not self.events_file.exists():
            return []
        return [json.loads(line) for line in self.events_file.read_text().splitlines()]


@contextlib.asynccontextmanager
async def running_app(
    tmp_path: Path,
    url: str | None,
    event_props: Mapping[str, Any],
    *,
    timeout_s: float = 10,
    start: bool = True,
) -> AsyncIterator[App]:
    """A template with one function `Consumer` whose `MQ` event has `event_props`."""
    code = tmp_path / "code"
    code.mkdir(exist_ok=True)
    (code / "app.py").write_text(HANDLER)
    (tmp_path / "markers").mkdir(exist_ok=True)
    events_file = tmp_path / "events.jsonl"
    cfg = EmulatorConfig(
        command=(sys.executable, "-m", "runtime_interface", "app.handler"),
        function=FunctionConfig(name="consumer", timeout_s=timeout_s),
        cwd=str(code),
        handler="app.handler",
        runtime_env={"EVENTS_FILE": str(events_file), "MARKERS": str(tmp_path / "markers")},
        invoke_port=0,
        runtime_api_port=0,
        max_concurrency=2,
        log_level="error",
    )
    props = {"Broker": BROKER_ARN, **event_props}
    fn = Resource(
        "Consumer",
        "AWS::Serverless::Function",
        {"Events": {"Orders": {"Type": "MQ", "Properties": props}}},
    )
    template = Template(path=tmp_path / "template.yaml", resources={"Consumer": fn})
    logs: list[str] = []
    emulator = Emulator(cfg, log=logs.append)
    await emulator.start()
    notes: list[str] = []
    settings = AppSettings(rabbitmq_url=url, notes=notes.append, retry_delay_scale=0.05)
    triggers = rabbitmq.triggers(template, EmulatorInvoker({"Consumer": emulator}), settings)
    mappings = [t for t in triggers if isinstance(t, rabbitmq.RabbitMQMapping)]
    app = App(RabbitHelper(triggers), mappings, events_file, notes, logs)
    try:
        if start:
            for t in triggers:
                await t.start()
        yield app
    finally:
        for t in triggers:
            await t.close()
        await emulator.close()


@pytest.fixture
def app_factory(tmp_path: Path, broker: RabbitMQServer) -> Callable[..., Any]:
    """`async with app_factory({"Queues": [q]}) as app:` on the session broker."""

    def make(event_props: Mapping[str, Any], **kw: Any) -> Any:
        return running_app(tmp_path, broker.url, event_props, **kw)

    return make


pytestmark = pytest.mark.slow


def unique_queue(prefix: str = "q") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


async def declare(url: str, queue: str, arguments: Mapping[str, Any] | None = None) -> None:
    conn = await aiormq.connect(url)
    try:
        channel = await conn.channel()
        await channel.queue_declare(queue, durable=True, arguments=dict(arguments or {}))
    finally:
        await conn.close()


def bodies(event: Any) -> list[str]:
    return [
        base64.b64decode(m["data"]).decode()
        for msgs in event["rmqMessagesByQueue"].values()
        for m in msgs
    ]


def test_batches_close_when_full_then_when_the_window_ends(
    app_factory: Callable[..., Any], broker: RabbitMQServer
) -> None:
    queue = unique_queue()

    async def scenario() -> None:
        await declare(broker.url, queue)
        props = {"Queues": [queue], "BatchSize": 10, "MaximumBatchingWindowInSeconds": 1}
        async with app_factory(props, start=False) as app:
            for i in range(20):
                await app.helper.publish_async(queue, f"m{i}")
            for m in app.mappings:
                await m.start()
            first = await app.helper.wait_idle_async()
            # 20 waiting messages: two full batches, in queue order, acknowledged.
            assert [r.size for r in first] == [10, 10]
            assert [b for r in first for b in bodies(r.event())] == [f"m{i}" for i in range(20)]
            assert all(r.ok for r in first)
            for i in range(3):
                await app.helper.publish_async(queue, f"late{i}")
            second = await app.helper.wait_idle_async()
            # Three messages never fill a batch of 10: the window closes it.
            assert [r.size for r in second] == [3]
            assert bodies(second[0].event()) == ["late0", "late1", "late2"]
            lines = [n for n in app.notes if n.startswith(f"rabbitmq {queue}::/")]
            assert len(lines) == 3
            assert lines[-1].startswith(f"rabbitmq {queue}::/ -> Consumer: 3 messages, ok, ")

    asyncio.run(scenario())


def test_event_has_every_basic_property_as_the_service_sends_it(
    app_factory: Callable[..., Any], broker: RabbitMQServer
) -> None:
    queue = unique_queue()
    props = {
        "content_type": "text/plain",
        "headers": {"header1": "value1", "numberInHeader": 10, "flag": True},
        "delivery_mode": 1,
        "priority": 34,
        "expiration": "60000",
        "timestamp": dt.datetime(1970, 1, 1, 0, 33, 41, tzinfo=dt.timezone.utc),
        "user_id": "guest",
        "message_id": "id-1",
        "correlation_id": "corr-1",
        "reply_to": "replies",
        "type": "order.created",
        "app_id": "shop",
    }
    body = b'{"timeout":0,"data":"CZrmf0Gw8Ov4bqLQxD4E"}'

    async def scenario() -> None:
        await declare(broker.url, queue)
        mq = {"Queues": [queue], "MaximumBatchingWindowInSeconds": 0}
        async with app_factory(mq, start=False) as app:
            await app.helper.publish_async(queue, body, props)
            await app.helper.publish_async(queue, b"\x00\xffbare")
            for m in app.mappings:
                await m.start()
            (batch,) = await app.helper.wait_idle_async()
            event = app.events()[0]
            assert batch.event() == event
            # aiormq (the helper's publisher) gives every message a message id.
            bare = event["rmqMessagesByQueue"][f"{queue}::/"][1]["basicProperties"]
            assert len(bare["messageId"]) == 32
            bare["messageId"] = None
            assert event == {
                "eventSource": "aws:rmq",
                "eventSourceArn": BROKER_ARN,
                "rmqMessagesByQueue": {
                    f"{queue}::/": [
                        {
                            "basicProperties": {
                                "contentType": "text/plain",
                                "contentEncoding": None,
                                "headers": {
                                    "header1": {"bytes": [118, 97, 108, 117, 101, 49]},
                                    "numberInHeader": 10,
                                    "flag": True,
                                },
                                "deliveryMode": 1,
                                "priority": 34,
                                "correlationId": "corr-1",
                                "replyTo": "replies",
                                "expiration": "60000",
                                "messageId": "id-1",
                                "timestamp": "Jan 1, 1970, 12:33:41 AM",
                                "type": "order.created",
                                "userId": "guest",
                                "appId": "shop",
                                "clusterId": None,
                                "bodySize": len(body),
                            },
                            "redelivered": False,
                            "data": base64.b64encode(body).decode(),
                        },
                        {
                            "basicProperties": {
                                "contentType": None,
                                "contentEncoding": None,
                                "headers": None,
                                "deliveryMode": None,
                                "priority": None,
                                "correlationId": None,
                                "replyTo": None,
                                "expiration": None,
                                "messageId": None,
                                "timestamp": None,
                                "type": None,
                                "userId": None,
                                "appId": None,
                                "clusterId": None,
                                "bodySize": 6,
                            },
                            "redelivered": False,
                            "data": base64.b64encode(b"\x00\xffbare").decode(),
                        },
                    ]
                },
            }

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("poison", "error_type", "timeout_s"),
    [
        ("flaky-1", "ValueError", 10.0),  # the function raises
        ("exit-once-1", "Runtime.ExitError", 10.0),  # its process dies mid-batch
        ("sleep-once-1", "Sandbox.Timedout", 1.0),  # it runs past its timeout
    ],
)
def test_a_failed_batch_is_requeued_whole_and_acknowledged_only_after_a_success(
    app_factory: Callable[..., Any],
    broker: RabbitMQServer,
    poison: str,
    error_type: str,
    timeout_s: float,
) -> None:
    queue = unique_queue()
    sent = ["a", poison, "c"]

    async def scenario() -> None:
        await declare(broker.url, queue)
        props = {"Queues": [queue], "BatchSize": 3, "MaximumBatchingWindowInSeconds": 2}
        async with app_factory(props, timeout_s=timeout_s) as app:
            for body in sent:
                await app.helper.publish_async(queue, body)
            failed, retried = await app.helper.wait_idle_async()
            assert not failed.ok
            assert failed.error_type == error_type
            assert bodies(failed.event()) == sent
            assert retried.ok
            assert bodies(retried.event()) == sent  # the whole batch came back, in order
            records = retried.event()["rmqMessagesByQueue"][f"{queue}::/"]
            assert [m["redelivered"] for m in records] == [True, True, True]
            assert any(f"3 messages, error ({error_type})" in n for n in app.notes)
        # Everything was acknowledged once the function succeeded: nothing is left.
        assert (await queue_counts(broker.url, queue))[0] == 0

    asyncio.run(scenario())


def test_the_brokers_dead_lettering_ends_a_poisoned_message(
    app_factory: Callable[..., Any], broker: RabbitMQServer
) -> None:
    queue, dlq = unique_queue("work"), unique_queue("dlq")

    async def scenario() -> None:
        await declare(broker.url, dlq)
        arguments = {
            "x-queue-type": "quorum",
            "x-delivery-limit": 2,
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": dlq,
        }
        await declare(broker.url, queue, arguments)
        props = {"Queues": [queue], "BatchSize": 1, "MaximumBatchingWindowInSeconds": 0}
        async with app_factory(props) as app:
            await app.helper.publish_async(queue, "fail-1")
            await app.helper.publish_async(queue, "fine-1")
            batches = await app.helper.wait_idle_async()
        outcomes = [(bodies(b.event()), b.ok) for b in batches]
        # Delivered 1 + delivery-limit times, each failure requeued, then the broker
        # dead-letters it; the healthy message is handled once.
        assert outcomes.count((["fail-1"], False)) == 3
        assert outcomes.count((["fine-1"], True)) == 1
        assert len(outcomes) == 4
        conn = await aiormq.connect(broker.url)
        channel = await conn.channel()
        dead = await channel.basic_get(dlq, no_ack=True)
        await conn.close()
        assert dead.body == b"fail-1"
        death: Any = (dead.header.properties.headers or {})["x-death"]
        assert death[0]["reason"] == "delivery_limit"

    asyncio.run(scenario())


def test_a_missing_queue_on_a_given_broker_is_an_error_naming_the_fix(
    app_factory: Callable[..., Any],
) -> None:
    async def scenario() -> None:
        async with app_factory({"Queues": [unique_queue("absent")]}, start=False) as app:
            with pytest.raises(rabbitmq.BrokerError, match="does not exist on vhost '/': declare"):
                await app.mappings[0].start()

    asyncio.run(scenario())


def test_without_a_url_a_local_broker_is_started_and_the_queue_declared(
    tmp_path: Path,
) -> None:
    async def scenario() -> None:
        async with running_app(tmp_path, None, {"Queues": ["orders"]}) as app:
            mapping = app.mappings[0]
            assert mapping.url.startswith("amqp://guest:guest@127.0.0.1:")
            await app.helper.publish_async("orders", "hello")
            (batch,) = await app.helper.wait_idle_async()
            assert bodies(batch.event()) == ["hello"]
            assert "rabbitmq: declared queue orders::/ on the local broker" in app.notes
            port = int(mapping.url.rsplit(":", 1)[1].split("/")[0])
        assert not _amqp_answers("127.0.0.1", port)  # stopped with the last mapping

    asyncio.run(scenario())


def test_mappings_are_read_from_events_and_event_source_mappings(tmp_path: Path) -> None:
    arn = "arn:aws:mq:us-east-1:123456789012:broker:b:b-1"
    esm = Resource(
        "Esm",
        "AWS::Lambda::EventSourceMapping",
        {
            "FunctionName": "consumer",
            "EventSourceArn": arn,
            "Queues": ["jobs"],
            "BatchSize": 10,
            "SourceAccessConfigurations": [
                {"Type": "BASIC_AUTH", "URI": "arn:aws:secretsmanager:us-east-1:1:secret:s"},
                {"Type": "VIRTUAL_HOST", "URI": "/prod"},
            ],
        },
    )
    fn = Resource(
        "Fn",
        "AWS::Serverless::Function",
        {"Events": {"Q": {"Type": "MQ", "Properties": {"Broker": arn, "Queues": ["orders"]}}}},
    )
    template = Template(tmp_path / "t.yaml", {"Fn": fn, "Esm": esm})
    found = list(mappings(template))
    assert [(m.function, m.key, m.batch_size, m.window_s) for m in found] == [
        ("Fn", "orders::/", 100, 0.5),
        ("consumer", "jobs::/prod", 10, 0.5),
    ]
    bad: dict[str, Any] = {"Broker": arn, "Queues": ["a", "b"]}
    with pytest.raises(MappingConfigError, match="Queues must list exactly one queue"):
        list(mappings(Template(tmp_path / "t.yaml", {"Fn": _with_mq(bad)})))
    bad = {"Broker": arn, "Queues": ["a"], "BatchSize": 10001}
    with pytest.raises(MappingConfigError, match="BatchSize must be an integer from 1 to 10000"):
        list(mappings(Template(tmp_path / "t.yaml", {"Fn": _with_mq(bad)})))
    bad = {"Broker": "arn:aws:sqs:us-east-1:1:q", "Queues": ["a"]}
    with pytest.raises(MappingConfigError, match="Broker must be an Amazon MQ broker ARN"):
        list(mappings(Template(tmp_path / "t.yaml", {"Fn": _with_mq(bad)})))


def _with_mq(props: Mapping[str, Any]) -> Resource:
    return Resource(
        "Fn", "AWS::Serverless::Function", {"Events": {"Q": {"Type": "MQ", "Properties": props}}}
    )


def test_filter_criteria_on_data_and_filtered_out_messages_are_acknowledged(
    app_factory: Callable[..., Any], broker: RabbitMQServer
) -> None:
    queue = unique_queue()
    filters = [
        {"Pattern": json.dumps({"data": {"kind": ["order"], "n": [{"numeric": [">", 1]}]}})},
        {"Pattern": {"data": [{"prefix": "Result: "}]}},  # a plain-string body
    ]
    sent: list[bytes] = [
        b'{"kind": "order", "n": 2}',  # JSON, matches the first filter
        b'{"kind": "order", "n": 1}',  # JSON, n too small
        b'{"kind": "refund", "n": 5}',  # JSON, other kind
        b"Result: ok",  # plain text, matches the prefix
        b"Result",  # plain text, no match
        b'"Result: a JSON string"',  # JSON, but not an object: read as text, no match
        b"\xff\xfeResult: ",  # not UTF-8: no data pattern matches it
    ]

    async def scenario() -> None:
        await declare(broker.url, queue)
        props = {
            "Queues": [queue],
            "BatchSize": 10,
            "MaximumBatchingWindowInSeconds": 1,
            "FilterCriteria": {"Filters": filters},
        }
        async with app_factory(props) as app:
            for body in sent:
                await app.helper.publish_async(queue, body)
            batches = await app.helper.wait_idle_async()
            got = [b for r in batches for b in bodies(r.event())]
            assert got == ['{"kind": "order", "n": 2}', "Result: ok"]
            assert all(r.ok for r in batches)
            [mapping] = app.mappings
            assert mapping.filtered == 5
            assert mapping.describe()[0].detail["filters"] == 2
        # The filtered-out messages were acknowledged (dropped), not left for redelivery.
        assert (await queue_counts(broker.url, queue))[0] == 0

    asyncio.run(scenario())


def test_mq_filter_criteria_only_on_data(tmp_path: Path) -> None:
    arn = "arn:aws:mq:us-east-1:123456789012:broker:b:b-1"
    on_props = {"Pattern": json.dumps({"basicProperties": {"type": ["x"]}})}
    bad: dict[str, Any] = {
        "Broker": arn,
        "Queues": ["a"],
        "FilterCriteria": {"Filters": [on_props]},
    }
    with pytest.raises(
        MappingConfigError, match=r'filter only on the "data" key .* basicProperties'
    ):
        list(mappings(Template(tmp_path / "t.yaml", {"Fn": _with_mq(bad)})))
    broken = {"Broker": arn, "Queues": ["a"], "FilterCriteria": {"Filters": [{"Pattern": "{"}]}}
    with pytest.raises(MappingConfigError, match=r"Filters\[0\].Pattern: not valid JSON"):
        list(mappings(Template(tmp_path / "t.yaml", {"Fn": _with_mq(broken)})))
