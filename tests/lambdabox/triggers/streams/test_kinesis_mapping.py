"""Kinesis mappings on moto's server (its own process), driving a real function under the
emulator in process mode: record shape, batching, order, retries, bisect, partial batch
failures, OnFailure records, starting positions, record age, tumbling windows."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import re
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from lambdabox.app.invoker import EmulatorInvoker
from lambdabox.emulator.config import EmulatorConfig, FunctionConfig
from lambdabox.emulator.server import Emulator
from lambdabox.services.moto_server import MotoServer
from lambdabox.template.model import Resource, Template
from lambdabox.triggers import streams
from lambdabox.triggers.ports import AppSettings, SystemClock
from lambdabox.triggers.streams.sources import client
from lambdabox.triggers.streams.testing import KinesisHelper

pytestmark = pytest.mark.slow
ACCOUNT = "123456789012"
REGION = "us-east-1"

# Records every event; each record's data decides what the invocation does:
#   fail...  raises every time      flaky... raises the first time only
#   exit-once... kills its process once     sleep-once... outlives the timeout once
#   bad-once...  reported in batchItemFailures the first time
#   badid-once... / emptyid-once...  a malformed batchItemFailures entry the first time
# With TUMBLING set it counts records into the window's state.
HANDLER = """
import base64, hashlib, json, os, time

def seen_first(data):
    marker = os.path.join(os.environ["MARKERS"], hashlib.sha1(data.encode()).hexdigest())
    first = not os.path.exists(marker)
    open(marker, "a").close()
    return first

def handler(event, context):
    with open(os.environ["EVENTS_FILE"], "a") as f:
        f.write(json.dumps(event) + "\\n")
    failures = []
    for r in event["Records"]:
        data = base64.b64decode(r["kinesis"]["data"]).decode()
        seq = r["kinesis"]["sequenceNumber"]
        first = seen_first(data)
        if data.startswith("fail"):
            raise ValueError("poisoned record " + data)
        if first and data.startswith("flaky"):
            raise ValueError("flaky " + data)
        if first and data.startswith("exit-once"):
            os._exit(3)
        if first and data.startswith("sleep-once"):
            time.sleep(30)
        if first and data.startswith("bad-once"):
            failures.append({"itemIdentifier": seq})
        if first and data.startswith("badid-once"):
            failures.append({"itemIdentifier": "49" + "0" * 54})
        if first and data.startswith("emptyid-once"):
            failures.append({"itemIdentifier": ""})
    if os.environ.get("TUMBLING"):
        state = dict(event.get("state") or {})
        state["count"] = state.get("count", 0) + len(event["Records"])
        return {"state": state, "batchItemFailures": []}
    return {"batchItemFailures": failures}
"""


@pytest.fixture(scope="module")
def moto() -> Iterator[MotoServer]:
    with MotoServer() as server:
        yield server


class ShiftedClock(SystemClock):
    """The real clock, `ahead` seconds in the future (records look older)."""

    def __init__(self, ahead: float) -> None:
        self.ahead = ahead

    def now(self) -> float:
        return time.time() + self.ahead


@dataclass
class App:
    helper: KinesisHelper
    trigger: streams.StreamMappingTrigger
    stream: str
    events_file: Path
    notes: list[str] = field(default_factory=list)
    rebuild: Callable[[Mapping[str, Any]], streams.StreamMappingTrigger] | None = None

    def remap(self, props: Mapping[str, Any]) -> None:
        """Replace the (not yet started) mapping by one with these event properties."""
        assert self.rebuild is not None
        self.trigger = self.rebuild(props)
        self.helper = KinesisHelper(self.endpoint, [self.trigger])

    endpoint: str = ""

    def events(self) -> list[Any]:
        if not self.events_file.exists():
            return []
        return [json.loads(line) for line in self.events_file.read_text().splitlines()]


def datas(event: Any) -> list[str]:
    return [base64.b64decode(r["kinesis"]["data"]).decode() for r in event["Records"]]


@contextlib.asynccontextmanager
async def running_app(
    tmp_path: Path,
    endpoint: str,
    props: Mapping[str, Any],
    *,
    shards: int = 1,
    timeout_s: float = 10,
    start: bool = True,
    env: Mapping[str, str] | None = None,
    clock: SystemClock | None = None,
) -> AsyncIterator[App]:
    """A template with a stream (`shards` shards) and a function `Consumer` whose `Kinesis`
    event has `props` (StartingPosition defaults to TRIM_HORIZON)."""
    stream = f"s-{uuid.uuid4().hex[:8]}"
    code = tmp_path / "code"
    code.mkdir(exist_ok=True)
    (code / "app.py").write_text(HANDLER)
    (tmp_path / "markers").mkdir(exist_ok=True)
    events_file = tmp_path / "events.jsonl"
    cfg = EmulatorConfig(
        command=(sys.executable, "-m", "runtime_interface", "app.handler"),
        function=FunctionConfig(name="consumer", timeout_s=timeout_s, account_id=ACCOUNT),
        cwd=str(code),
        handler="app.handler",
        runtime_env={
            "EVENTS_FILE": str(events_file),
            "MARKERS": str(tmp_path / "markers"),
            **(env or {}),
        },
        invoke_port=0,
        runtime_api_port=0,
        max_concurrency=2,
        log_level="error",
    )
    arn = f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/{stream}"
    event = {"Stream": arn, "StartingPosition": "TRIM_HORIZON", **props}
    resources = {
        "Stream": Resource(
            "Stream", "AWS::Kinesis::Stream", {"Name": stream, "ShardCount": shards}
        ),
        "Consumer": Resource(
            "Consumer",
            "AWS::Serverless::Function",
            {"Events": {"Feed": {"Type": "Kinesis", "Properties": event}}},
        ),
    }
    template = Template(path=tmp_path / "template.yaml", resources=resources, account_id=ACCOUNT)
    notes: list[str] = []
    settings = AppSettings(
        account_id=ACCOUNT,
        notes=notes.append,
        retry_delay_scale=0.02,
        extra={"aws_endpoint": endpoint},
        clock=clock or SystemClock(),
    )
    await streams.provision(template, endpoint, settings)
    emulator = Emulator(cfg, log=lambda _line: None)
    invoker = EmulatorInvoker({"Consumer": emulator})

    def build(more: Mapping[str, Any]) -> streams.StreamMappingTrigger:
        fn = Resource(
            "Consumer",
            "AWS::Serverless::Function",
            {"Events": {"Feed": {"Type": "Kinesis", "Properties": {**event, **more}}}},
        )
        changed = Template(template.path, {**resources, "Consumer": fn}, account_id=ACCOUNT)
        (trigger,) = streams.triggers(changed, invoker, settings)
        assert isinstance(trigger, streams.StreamMappingTrigger)
        return trigger

    trigger = build({})
    app = App(KinesisHelper(endpoint, [trigger]), trigger, stream, events_file, notes, build)
    app.endpoint = endpoint
    await emulator.start()
    try:
        if start:
            await trigger.start()
        yield app
    finally:
        await app.trigger.close()
        await emulator.close()


@pytest.fixture
def app_factory(tmp_path: Path, moto: MotoServer) -> Callable[..., Any]:
    def make(props: Mapping[str, Any], **kw: Any) -> Any:
        return running_app(tmp_path, moto.endpoint, props, **kw)

    return make


def test_record_shape_and_batches_by_size_then_window(
    app_factory: Callable[..., Any], moto: MotoServer
) -> None:
    async def scenario() -> None:
        props = {"BatchSize": 3, "MaximumBatchingWindowInSeconds": 1}
        async with app_factory(props, start=False) as app:
            puts = [await app.helper.put_async(app.stream, f"r{i}", f"pk{i}") for i in range(7)]
            await app.trigger.start()
            batches = await app.helper.wait_idle_async()
            assert [b.size for b in batches] == [3, 3, 1]
            assert [d for b in batches for d in datas(b.event())] == [f"r{i}" for i in range(7)]
            assert all(b.ok for b in batches)
            assert app.trigger.describe()[0].text == (
                f"kinesis {app.stream} -> Consumer (batch 3, window 1 s, start TRIM_HORIZON)"
            )
            assert len([n for n in app.notes if n.startswith(f"kinesis {app.stream} ")]) == 3
            # The record exactly as the service's example shows it.
            got = client("kinesis", moto.endpoint, REGION).get_records(
                ShardIterator=client("kinesis", moto.endpoint, REGION).get_shard_iterator(
                    StreamName=app.stream, ShardId=puts[0][0], ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"],
                Limit=1,
            )["Records"][0]
            shard, seq = puts[0]
            assert app.events()[0]["Records"][0] == {
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": "pk0",
                    "sequenceNumber": seq,
                    "data": base64.b64encode(b"r0").decode(),
                    "approximateArrivalTimestamp": round(
                        got["ApproximateArrivalTimestamp"].timestamp(), 3
                    ),
                },
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": f"{shard}:{seq}",
                "eventName": "aws:kinesis:record",
                "invokeIdentityArn": f"arn:aws:iam::{ACCOUNT}:role/Consumer-role",
                "awsRegion": REGION,
                "eventSourceARN": f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/{app.stream}",
            }
            assert list(app.events()[0]) == ["Records"]

    asyncio.run(scenario())


def test_each_shard_is_handled_in_order_one_batch_at_a_time(
    app_factory: Callable[..., Any],
) -> None:
    async def scenario() -> None:
        async with app_factory({"BatchSize": 4}, shards=3, start=False) as app:
            sent: dict[str, list[str]] = {}
            for i in range(30):
                shard, seq = await app.helper.put_async(app.stream, f"r{i}", f"key{i % 7}")
                sent.setdefault(shard, []).append(seq)
            await app.trigger.start()
            batches = await app.helper.wait_idle_async()
            got: dict[str, list[str]] = {}
            for b in batches:
                assert {r["eventID"].split(":")[0] for r in b.event()["Records"]} == {b.shard_id}
                got.setdefault(b.shard_id, []).extend(b.sequence_numbers())
            assert got == sent  # every record once, in shard order
            assert len(sent) > 1

    asyncio.run(scenario())


def test_bisect_isolates_a_poisoned_record_and_onfailure_gets_the_services_record(
    app_factory: Callable[..., Any], moto: MotoServer
) -> None:
    sqs = client("sqs", moto.endpoint, REGION)
    queue = f"failures-{uuid.uuid4().hex[:8]}"
    url = sqs.create_queue(QueueName=queue)["QueueUrl"]
    props = {
        "BatchSize": 4,
        "BisectBatchOnFunctionError": True,
        "MaximumRetryAttempts": 1,
        "DestinationConfig": {
            "OnFailure": {"Destination": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{queue}"}
        },
    }

    async def scenario() -> None:
        async with app_factory(props, start=False) as app:
            puts = [await app.helper.put_async(app.stream, d) for d in ("a", "b", "fail-c", "d")]
            await app.trigger.start()
            batches = await app.helper.wait_idle_async()
            tried = [(datas(b.event()), b.ok) for b in batches]
            assert tried == [
                (["a", "b", "fail-c", "d"], False),  # fails: split in two (not a retry)
                (["a", "b"], True),
                (["fail-c", "d"], False),  # fails: split again
                (["fail-c"], False),  # alone: first try ...
                (["fail-c"], False),  # ... and its one retry: given up
                (["d"], True),
            ]
            failed_request = batches[4].request_id
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
        assert len(messages) == 1
        body = json.loads(messages[0]["Body"])
        shard, seq = puts[2]
        info = body.pop("KinesisBatchInfo")
        assert body["requestContext"] == {
            "requestId": failed_request,
            "functionArn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:consumer",
            "condition": "RetryAttemptsExhausted",
            "approximateInvokeCount": 2,
        }
        assert body["responseContext"] == {
            "statusCode": 200,
            "executedVersion": "$LATEST",
            "functionError": "Unhandled",
        }
        assert body["version"] == "1.0"
        assert body["timestamp"].endswith("Z")
        assert len(body["timestamp"]) == len("2019-11-14T00:38:06.021Z")
        assert set(body) == {"requestContext", "responseContext", "version", "timestamp"}
        assert info["shardId"] == shard
        assert info["startSequenceNumber"] == info["endSequenceNumber"] == seq
        assert info["batchSize"] == 1
        assert info["streamArn"].endswith(":stream/" + app.stream)
        assert info["approximateArrivalOfFirstRecord"] == info["approximateArrivalOfLastRecord"]

    asyncio.run(scenario())


def _sns_to_queue(endpoint: str, topic: str) -> tuple[Any, str]:
    """An SQS queue subscribed (raw delivery) to a new SNS topic: what the topic gets."""
    sns, sqs = client("sns", endpoint, REGION), client("sqs", endpoint, REGION)
    topic_arn = sns.create_topic(Name=topic)["TopicArn"]
    url = sqs.create_queue(QueueName=f"{topic}-sub")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(
        TopicArn=topic_arn,
        Protocol="sqs",
        Endpoint=queue_arn,
        Attributes={"RawMessageDelivery": "true"},
    )
    return sqs, url


@pytest.mark.parametrize("kind", ["sns", "s3"])
def test_onfailure_to_an_sns_topic_or_an_s3_bucket(
    app_factory: Callable[..., Any], moto: MotoServer, kind: str
) -> None:
    name = f"failures-{uuid.uuid4().hex[:8]}"
    arn = f"arn:aws:sns:{REGION}:{ACCOUNT}:{name}" if kind == "sns" else f"arn:aws:s3:::{name}"
    if kind == "sns":
        sqs, url = _sns_to_queue(moto.endpoint, name)  # else: the mapping creates the bucket
    props = {
        "BatchSize": 2,
        "MaximumRetryAttempts": 0,
        "DestinationConfig": {"OnFailure": {"Destination": arn}},
    }

    async def scenario() -> tuple[Any, list[Any], str]:
        async with app_factory(props, start=False) as app:
            puts = [await app.helper.put_async(app.stream, d) for d in ("fail-a", "b")]
            await app.trigger.start()
            batches = await app.helper.wait_idle_async()
            assert [(datas(b.event()), b.ok) for b in batches] == [(["fail-a", "b"], False)]
            return batches[0], puts, app.trigger.uuid

    batch, puts, mapping_uuid = asyncio.run(scenario())
    if kind == "sns":
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
        assert len(messages) == 1
        body = json.loads(messages[0]["Body"])
    else:
        s3 = client("s3", moto.endpoint, REGION)
        [obj] = s3.list_objects_v2(Bucket=name)["Contents"]
        shard = puts[0][0]
        pattern = (
            rf"aws/lambda/{mapping_uuid}/{shard}/\d{{4}}/\d{{2}}/\d{{2}}/"
            r"\d{4}-\d{2}-\d{2}T\d{2}\.\d{2}\.\d{2}-[0-9a-f-]{36}"
        )
        assert re.fullmatch(pattern, obj["Key"]), obj["Key"]
        body = json.loads(s3.get_object(Bucket=name, Key=obj["Key"])["Body"].read())
        # S3 gets the whole invocation event too: exactly what the function was sent.
        assert body.pop("payload") == batch.event()
    assert set(body) == {
        "requestContext",
        "responseContext",
        "version",
        "timestamp",
        "KinesisBatchInfo",
    }
    assert body["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert body["requestContext"]["requestId"] == batch.request_id
    assert body["requestContext"]["approximateInvokeCount"] == 1
    assert body["responseContext"]["functionError"] == "Unhandled"
    info = body["KinesisBatchInfo"]
    assert info["startSequenceNumber"] == puts[0][1]
    assert info["endSequenceNumber"] == puts[1][1]
    assert info["batchSize"] == 2


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        # valid: checkpoint at the reported record; it and what follows are retried
        (
            ["a", "bad-once-b", "c"],
            [(["a", "bad-once-b", "c"], False), (["bad-once-b", "c"], True)],
        ),
        # an empty list: success
        (["a", "b"], [(["a", "b"], True)]),
        # malformed (an id not in the batch, an empty id): the whole batch is retried
        (
            ["a", "badid-once", "c"],
            [(["a", "badid-once", "c"], False)] * 1 + [(["a", "badid-once", "c"], True)],
        ),
        (
            ["a", "emptyid-once", "c"],
            [(["a", "emptyid-once", "c"], False), (["a", "emptyid-once", "c"], True)],
        ),
    ],
    ids=["valid", "empty", "unknown-id", "empty-id"],
)
def test_partial_batch_failures(
    app_factory: Callable[..., Any], sent: list[str], expected: list[tuple[list[str], bool]]
) -> None:
    async def scenario() -> None:
        props = {"BatchSize": 10, "FunctionResponseTypes": ["ReportBatchItemFailures"]}
        async with app_factory(props, start=False) as app:
            for d in sent:
                await app.helper.put_async(app.stream, d)
            await app.trigger.start()
            batches = await app.helper.wait_idle_async()
            assert [(datas(b.event()), b.ok) for b in batches] == expected

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("poison", "error_type", "timeout_s"),
    [
        ("flaky-1", "ValueError", 10.0),
        ("exit-once-1", "Runtime.ExitError", 10.0),
        ("sleep-once-1", "Sandbox.Timedout", 1.0),
    ],
)
def test_a_failed_batch_is_retried_whole_in_order(
    app_factory: Callable[..., Any], poison: str, error_type: str, timeout_s: float
) -> None:
    async def scenario() -> None:
        async with app_factory({"BatchSize": 5}, start=False, timeout_s=timeout_s) as app:
            for d in ("a", poison, "c"):
                await app.helper.put_async(app.stream, d)
            await app.trigger.start()
            failed, retried = await app.helper.wait_idle_async()
            assert failed.outcome == f"error ({error_type})"
            assert datas(failed.event()) == datas(retried.event()) == ["a", poison, "c"]
            assert retried.ok

    asyncio.run(scenario())


def test_starting_positions_latest_and_at_timestamp(app_factory: Callable[..., Any]) -> None:
    async def scenario() -> None:
        async with app_factory({"StartingPosition": "LATEST"}, start=False) as app:
            await app.helper.put_async(app.stream, "before")
            await app.trigger.start()
            await app.helper.put_async(app.stream, "after")
            (batch,) = await app.helper.wait_idle_async()
            assert datas(batch.event()) == ["after"]

    async def at_timestamp() -> None:
        async with app_factory({}, start=False) as app:
            await app.helper.put_async(app.stream, "old")
            await asyncio.sleep(1.2)
            since = time.time()
            await asyncio.sleep(0.2)
            await app.helper.put_async(app.stream, "new")
            props = {"StartingPosition": "AT_TIMESTAMP", "StartingPositionTimestamp": since}
            app.remap(props)
            await app.trigger.start()
            (batch,) = await app.helper.wait_idle_async()
            assert datas(batch.event()) == ["new"]

    asyncio.run(scenario())
    asyncio.run(at_timestamp())


def test_records_older_than_the_maximum_age_are_discarded(app_factory: Callable[..., Any]) -> None:
    async def scenario() -> None:
        props = {"MaximumRecordAgeInSeconds": 60}
        async with app_factory(props, start=False, clock=ShiftedClock(120)) as app:
            await app.helper.put_async(app.stream, "stale")
            await app.trigger.start()
            assert await app.helper.wait_idle_async() == []
            assert any("gave up on 1 records (RecordAgeExceeded" in n for n in app.notes)

    asyncio.run(scenario())


def test_tumbling_window_carries_state_and_ends_with_a_final_invoke(
    app_factory: Callable[..., Any],
) -> None:
    async def scenario() -> None:
        props = {"BatchSize": 2, "TumblingWindowInSeconds": 2}
        async with app_factory(props, start=False, env={"TUMBLING": "1"}) as app:
            # Windows are aligned to the clock (arrival // 2 s), so the three puts start just
            # after a boundary: on a loaded machine they could otherwise straddle one.
            await asyncio.sleep(2 - time.time() % 2 + 0.05)
            for d in ("a", "b", "c"):
                await app.helper.put_async(app.stream, d)
            await app.trigger.start()
            batches = await app.helper.wait_idle_async()
            events = [b.event() for b in batches]
            window = events[0]["window"]
            assert all(e["window"] == window for e in events)
            assert [len(e["Records"]) for e in events] == [2, 1, 0]
            assert [e["state"] for e in events] == [{}, {"count": 2}, {"count": 3}]
            assert [e["isFinalInvokeForWindow"] for e in events] == [False, False, True]
            assert all(e["isWindowTerminatedEarly"] is False for e in events)
            assert events[0]["shardId"] == batches[0].shard_id
            assert events[0]["eventSourceARN"].endswith(":stream/" + app.stream)
            start = time.strptime(window["start"], "%Y-%m-%dT%H:%M:%SZ")
            end = time.strptime(window["end"], "%Y-%m-%dT%H:%M:%SZ")
            assert time.mktime(end) - time.mktime(start) == 2

    asyncio.run(scenario())


def test_parallelization_keeps_order_per_partition_key(app_factory: Callable[..., Any]) -> None:
    async def scenario() -> None:
        props = {"BatchSize": 3, "ParallelizationFactor": 4}
        async with app_factory(props, start=False) as app:
            sent: dict[str, list[str]] = {}
            for i in range(24):
                key = f"k{i % 6}"
                await app.helper.put_async(app.stream, f"{key}-{i}", key)
                sent.setdefault(key, []).append(f"{key}-{i}")
            await app.trigger.start()
            batches = await app.helper.wait_idle_async()
            got: dict[str, list[str]] = {}
            for b in batches:
                for d in datas(b.event()):
                    got.setdefault(d.split("-")[0], []).append(d)
            assert got == sent
            assert len(app.trigger.workers) == 4

    asyncio.run(scenario())


def test_bad_mappings_are_refused_with_the_fix() -> None:
    arn = f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/s"
    with pytest.raises(streams.MappingConfigError, match="StartingPosition is required"):
        streams.config.read("F.Events.K", "F", {"Stream": arn}, "Stream")
    with pytest.raises(streams.MappingConfigError, match="ParallelizationFactor must be"):
        streams.config.read(
            "F.Events.K",
            "F",
            {"Stream": arn, "StartingPosition": "LATEST", "ParallelizationFactor": 11},
            "Stream",
        )
    with pytest.raises(streams.MappingConfigError, match="MaximumRecordAgeInSeconds must be -1"):
        streams.config.read(
            "F.Events.K",
            "F",
            {"Stream": arn, "StartingPosition": "LATEST", "MaximumRecordAgeInSeconds": 30},
            "Stream",
        )
    bad_target = {"Destination": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:f"}
    with pytest.raises(streams.MappingConfigError, match="SQS queue, SNS topic or S3 bucket"):
        streams.config.read(
            "F.Events.K",
            "F",
            {
                "Stream": arn,
                "StartingPosition": "LATEST",
                "DestinationConfig": {"OnFailure": bad_target},
            },
            "Stream",
        )
    assert hashlib  # the handler hashes markers the same way
