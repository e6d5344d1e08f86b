"""Run one SQS mapping in a process of its own, as `lambdabox up` would, until killed.

usage: python sqs_mapping_runner.py ENDPOINT QUEUE_NAME LOG_PATH [BATCH_SIZE [ENVIRONMENTS]]
Prints "ready" once the mapping polls. The queue must exist on ENDPOINT.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from lambdabox.emulator.config import EmulatorConfig, FunctionConfig
from lambdabox.emulator.server import Emulator
from lambdabox.template.model import Resource, Template
from lambdabox.testing.sqs_app import PoolInvoker, queue_arn
from lambdabox.triggers.ports import AppSettings
from lambdabox.triggers.sqs import triggers

FUNCTIONS = Path(__file__).parent / "functions"


async def run(endpoint: str, queue: str, log: str, batch: int, environments: int) -> None:
    handler = "sqs_functions.handler"
    event = {"Type": "SQS", "Properties": {"Queue": queue_arn(queue), "BatchSize": batch}}
    fn = Resource("Worker", "AWS::Serverless::Function", {"Events": {"Jobs": event}})
    template = Template(path=Path(log).parent / "template.yaml", resources={"Worker": fn})
    config = EmulatorConfig(
        command=(sys.executable, "-m", "runtime_interface", handler),
        function=FunctionConfig(name="worker", timeout_s=10),
        cwd=str(FUNCTIONS),
        handler=handler,
        invoke_port=0,
        runtime_api_port=0,
        max_concurrency=environments,
        runtime_env={"SQS_TEST_LOG": log},
        log_level="error",
    )
    emulator = Emulator(config, log=lambda line: None)  # noqa: ARG005
    await emulator.start()
    settings = AppSettings(sqs_endpoint=endpoint, notes=lambda line: print(line, flush=True))
    mappings = triggers(template, PoolInvoker({"Worker": emulator}), settings)
    for mapping in mappings:
        await mapping.start()
    print("ready", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    args = sys.argv[1:]
    batch = int(args[3]) if len(args) > 3 else 5
    environments = int(args[4]) if len(args) > 4 else 2
    asyncio.run(run(args[0], args[1], args[2], batch, environments))
