"""RabbitMQ mapping throughput: messages/s through an MQ mapping (batch size 100, window
0.5 s) into a no-op function under the emulator (process mode), on our own broker; and the
same figure for a Kinesis mapping on moto's server (batch size 100)."""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

import aiormq

from lambdabox.app.invoker import EmulatorInvoker
from lambdabox.emulator.config import EmulatorConfig, FunctionConfig
from lambdabox.emulator.server import Emulator
from lambdabox.services.moto_server import MotoServer
from lambdabox.services.rabbitmq import RabbitMQServer
from lambdabox.template.model import Resource, Template
from lambdabox.triggers import rabbitmq, streams
from lambdabox.triggers.ports import AppSettings
from lambdabox.triggers.rabbitmq.testing import RabbitHelper
from lambdabox.triggers.streams.testing import KinesisHelper

NOOP = "def handler(event, context):\n    return None\n"
ARN = "arn:aws:mq:us-east-1:123456789012:broker:bench:b-0"


def _emulator(code: Path) -> Emulator:
    (code / "app.py").write_text(NOOP)
    cfg = EmulatorConfig(
        command=(sys.executable, "-m", "runtime_interface", "app.handler"),
        function=FunctionConfig(name="noop"),
        cwd=str(code),
        handler="app.handler",
        invoke_port=0,
        runtime_api_port=0,
        log_level="error",
    )
    return Emulator(cfg, log=lambda _line: None)


async def _rabbit(url: str, code: Path, count: int) -> float:
    queue = "bench"
    fn = Resource(
        "Fn",
        "AWS::Serverless::Function",
        {"Events": {"Q": {"Type": "MQ", "Properties": {"Broker": ARN, "Queues": [queue]}}}},
    )
    emulator = _emulator(code)
    await emulator.start()
    settings = AppSettings(rabbitmq_url=url, notes=lambda _line: None)
    triggers = rabbitmq.triggers(
        Template(code / "t.yaml", {"Fn": fn}), EmulatorInvoker({"Fn": emulator}), settings
    )
    helper = RabbitHelper(triggers)
    try:
        conn = await aiormq.connect(url)
        channel = await conn.channel()
        await channel.queue_declare(queue, durable=True)
        for i in range(count):
            await channel.basic_publish(f"m{i}".encode(), routing_key=queue)
        await conn.close()
        started = time.time()
        for t in triggers:
            await t.start()
        batches = await helper.wait_idle_async(timeout=120)
        # Up to the last batch's outcome (wait_idle's settling time left out).
        return sum(b.size for b in batches) / (max(b.finished for b in batches) - started)
    finally:
        for t in triggers:
            await t.close()
        await emulator.close()


async def _kinesis(endpoint: str, code: Path, count: int) -> float:
    arn = "arn:aws:kinesis:us-east-1:123456789012:stream/bench"
    resources = {
        "S": Resource("S", "AWS::Kinesis::Stream", {"Name": "bench", "ShardCount": 1}),
        "Fn": Resource(
            "Fn",
            "AWS::Serverless::Function",
            {
                "Events": {
                    "K": {
                        "Type": "Kinesis",
                        "Properties": {"Stream": arn, "StartingPosition": "TRIM_HORIZON"},
                    }
                }
            },
        ),
    }
    template = Template(code / "t.yaml", resources)
    settings = AppSettings(notes=lambda _line: None, extra={"aws_endpoint": endpoint})
    await streams.provision(template, endpoint, settings)
    emulator = _emulator(code)
    await emulator.start()
    (trigger,) = streams.triggers(template, EmulatorInvoker({"Fn": emulator}), settings)
    helper = KinesisHelper(endpoint, [trigger])
    try:
        for i in range(count):
            await helper.put_async("bench", f"r{i}", f"k{i % 10}")
        started = time.time()
        await trigger.start()
        batches = await helper.wait_idle_async(timeout=120)
        return sum(b.size for b in batches) / (max(b.finished for b in batches) - started)
    finally:
        await trigger.close()
        await emulator.close()


def run(count: int = 2000) -> dict[str, float]:
    """Messages (records) per second through each mapping: the queue (stream) is filled
    first, the clock runs from the mapping's start until every message is acknowledged."""
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp, RabbitMQServer() as broker:
        figures["rabbitmq_mapping_per_s"] = asyncio.run(_rabbit(broker.url, Path(tmp), count))
        figures["rabbitmq_start_s"] = broker.started_in_s
    with tempfile.TemporaryDirectory() as tmp, MotoServer() as moto:
        figures["kinesis_mapping_per_s"] = asyncio.run(
            _kinesis(moto.endpoint, Path(tmp), count // 2)
        )
    return figures


if __name__ == "__main__":
    for name, value in run().items():
        print(f"{name:<30} {value:>10.1f}")
