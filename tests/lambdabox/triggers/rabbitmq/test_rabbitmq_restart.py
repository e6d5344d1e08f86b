"""`lambdabox up` SIGKILLed mid-batch on a RabbitMQ queue, then restarted against the same
broker: the unacknowledged batch is redelivered (`redelivered: true`), every message is
handled at least once, and none was acknowledged before its batch succeeded."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import aiormq
import pytest

from lambdabox.services.rabbitmq import RabbitMQServer
from lambdabox.testing.polling import read_jsonl, wait_for
from lambdabox.testing.up import UpLauncher
from lambdabox.triggers.rabbitmq.testing import queue_counts

pytestmark = pytest.mark.slow

HANDLER = """\
import base64, json, os, time

def handler(event, context):
    messages = [m for ms in event["rmqMessagesByQueue"].values() for m in ms]
    entry = {"bodies": [base64.b64decode(m["data"]).decode() for m in messages],
             "redelivered": [m["redelivered"] for m in messages]}
    with open(os.environ["LOG"], "a") as f:
        f.write(json.dumps({"start": entry}) + "\\n")
    time.sleep(0.3)
    with open(os.environ["LOG"], "a") as f:
        f.write(json.dumps({"end": entry}) + "\\n")
    return {}
"""

TEMPLATE = """\
Resources:
  Consumer:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src
      Handler: app.handler
      Runtime: python3.11
      Timeout: 10
      Environment: {{Variables: {{LOG: {log}}}}}
      Events:
        Orders:
          Type: MQ
          Properties:
            Broker: arn:aws:mq:us-east-1:123456789012:broker:local:b-1234
            Queues: [{queue}]
            BatchSize: 4
            MaximumBatchingWindowInSeconds: 0
"""


async def _publish(url: str, queue: str, bodies: list[str]) -> None:
    conn = await aiormq.connect(url)
    try:
        channel = await conn.channel(publisher_confirms=True)
        await channel.queue_declare(queue, durable=True)
        for body in bodies:
            props = aiormq.spec.Basic.Properties(delivery_mode=2, message_id=body)
            await channel.basic_publish(body.encode(), routing_key=queue, properties=props)
    finally:
        await conn.close()


def ended(path: Path) -> list[str]:
    return [b for e in read_jsonl(path) if "end" in e for b in e["end"]["bodies"]]


def test_killed_mid_batch_the_unacked_batch_is_redelivered(
    tmp_path: Path, broker: RabbitMQServer, launcher: UpLauncher
) -> None:
    app, log = tmp_path / "app", tmp_path / "calls.jsonl"
    (app / "src").mkdir(parents=True)
    (app / "src" / "app.py").write_text(HANDLER)
    queue = f"orders-{uuid.uuid4().hex[:8]}"
    (app / "template.yaml").write_text(TEMPLATE.format(log=log, queue=queue))
    bodies = [f"m{i:02d}" for i in range(24)]
    asyncio.run(_publish(broker.url, queue, bodies))

    first = launcher.start("--rabbitmq-url", broker.url, cwd=app)

    def mid_batch() -> bool:
        entries = read_jsonl(log)
        done = sum("end" in e for e in entries)
        return done >= 2 and sum("start" in e for e in entries) > done

    wait_for(mid_batch)
    first.kill_tree()
    at_kill = read_jsonl(log)
    assert "start" in at_kill[-1]  # the kill hit a batch being processed
    in_flight = at_kill[-1]["start"]["bodies"]
    done_before = set(ended(log))
    assert not set(in_flight) & done_before

    # The broker took the unacknowledged messages back once the connection died.
    wait_for(lambda: asyncio.run(queue_counts(broker.url, queue))[1] == 0, timeout=30)
    second = launcher.start("--rabbitmq-url", broker.url, cwd=app)
    wait_for(lambda: set(ended(log)) >= set(bodies))
    wait_for(lambda: asyncio.run(queue_counts(broker.url, queue))[0] == 0, timeout=10)
    assert second.stop() == 0

    after = [e["start"] for e in read_jsonl(log)[len(at_kill) :] if "start" in e]
    redelivered = {
        b for entry in after for b, again in zip(entry["bodies"], entry["redelivered"]) if again
    }
    # Nothing lost, nothing acknowledged before success: every message ended at least once,
    # and the batch in flight at the kill came back flagged as redelivered.
    assert set(ended(log)) == set(bodies)
    assert set(in_flight) <= redelivered
    # What had succeeded before the kill was acknowledged: not delivered again.
    assert not {b for entry in after for b in entry["bodies"]} & done_before
    # Messages never delivered before the kill arrive with redelivered false.
    fresh = set(bodies) - done_before - set(in_flight)
    first_time = {
        b for entry in after for b, again in zip(entry["bodies"], entry["redelivered"]) if not again
    }
    assert fresh - redelivered <= first_time
