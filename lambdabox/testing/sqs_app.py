"""Helpers of the SQS mapping tests: functions under the emulator in process mode and
mappings built from a template, all on a loop thread (as `lambdabox up` runs them)."""

from __future__ import annotations

import asyncio
import json
import sys
import threading
import uuid
from collections.abc import Coroutine, Mapping
from pathlib import Path
from typing import Any, TypeVar

from lambdabox.app.invoker import EmulatorInvoker
from lambdabox.emulator.config import EmulatorConfig, FunctionConfig
from lambdabox.emulator.server import Emulator
from lambdabox.template.model import Resource, Template
from lambdabox.triggers.ports import AppSettings
from lambdabox.triggers.sqs import SqsMapping, provision, triggers
from lambdabox.triggers.sqs.testing import SqsHelper

ACCOUNT, REGION = "123456789012", "us-east-1"
T = TypeVar("T")


class LoopThread:
    """An event loop on its own thread (as `lambdabox up` runs the application)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def call(self, coroutine: Coroutine[Any, Any, T], timeout: float = 60) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def stop(self) -> None:
        async def cancel_the_rest() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        self.call(cancel_the_rest())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()


PoolInvoker = EmulatorInvoker  # the name the SQS tests and benchmarks used before


def queue_arn(name: str) -> str:
    return f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"


class SqsApp:
    """One function fed by one queue (with an optional dead-letter queue), running."""

    def __init__(self, endpoint: str, folder: Path, loop: LoopThread, functions: Path) -> None:
        """`functions` is the folder holding the `sqs_functions` handler module."""
        self.endpoint = endpoint
        self.functions = functions
        self.folder = folder
        self.loop = loop
        self.log_path = folder / "calls.jsonl"
        self.notes: list[str] = []
        self.emulator_log: list[str] = []
        self.mappings: list[SqsMapping] = []
        self.emulator: Emulator | None = None
        self.queue = ""
        self.dlq = ""

    def start(
        self,
        *,
        event: Mapping[str, Any] | None = None,
        queue: Mapping[str, Any] | None = None,
        dlq_max_receives: int | None = None,
        fifo: bool = False,
        handler: str = "sqs_functions.handler",
        environments: int = 1,
        timeout_s: float = 5,
        env: Mapping[str, str] | None = None,
        esm: bool = False,
    ) -> SqsApp:
        suffix = uuid.uuid4().hex[:8]
        self.queue = f"jobs-{suffix}" + (".fifo" if fifo else "")
        props: dict[str, Any] = {"QueueName": self.queue, "VisibilityTimeout": 30, **(queue or {})}
        if fifo:
            props["FifoQueue"] = True
            props.setdefault("ContentBasedDeduplication", True)
        resources = {}
        if dlq_max_receives is not None:
            self.dlq = f"jobs-dlq-{suffix}" + (".fifo" if fifo else "")
            dlq_props: dict[str, Any] = {"QueueName": self.dlq}
            if fifo:
                dlq_props["FifoQueue"] = True
            resources["JobsDlq"] = Resource("JobsDlq", "AWS::SQS::Queue", dlq_props)
            props["RedrivePolicy"] = {
                "deadLetterTargetArn": queue_arn(self.dlq),
                "maxReceiveCount": dlq_max_receives,
            }
        resources["Jobs"] = Resource("Jobs", "AWS::SQS::Queue", props)
        function_name = f"worker-{suffix}"
        fn_props: dict[str, Any] = {
            "FunctionName": function_name,
            "Handler": handler,
            "Timeout": timeout_s,
        }
        mapping = {"Queue": queue_arn(self.queue), **(event or {})}
        if esm:
            resources["Mapping"] = Resource(
                "Mapping",
                "AWS::Lambda::EventSourceMapping",
                {"FunctionName": function_name, **mapping, "EventSourceArn": mapping.pop("Queue")},
            )
        else:
            fn_props["Events"] = {"Jobs": {"Type": "SQS", "Properties": mapping}}
        resources["Worker"] = Resource("Worker", "AWS::Serverless::Function", fn_props)
        self.template = Template(
            path=self.folder / "template.yaml", resources=resources, account_id=ACCOUNT
        )
        settings = AppSettings(sqs_endpoint=self.endpoint, notes=self.notes.append)
        provision(self.template, self.endpoint, settings)
        config = EmulatorConfig(
            command=(sys.executable, "-m", "runtime_interface", handler),
            function=FunctionConfig(name=function_name, timeout_s=timeout_s),
            cwd=str(self.functions),
            handler=handler,
            invoke_port=0,
            runtime_api_port=0,
            max_concurrency=environments,
            runtime_env={"SQS_TEST_LOG": str(self.log_path), **(env or {})},
            log_level="error",
        )
        self.emulator = Emulator(config, log=self.emulator_log.append)
        self.loop.call(self.emulator.start())
        invoker = PoolInvoker({"Worker": self.emulator})
        self.mappings = [
            t for t in triggers(self.template, invoker, settings) if isinstance(t, SqsMapping)
        ]
        self.helper = SqsHelper(self.endpoint, self.template)
        return self

    def run_mappings(self) -> None:
        for m in self.mappings:
            self.loop.call(m.start())

    def calls(self) -> list[dict[str, Any]]:
        """The handler's log lines (start and end entries)."""
        if not self.log_path.exists():
            return []
        return [json.loads(line) for line in self.log_path.read_text().splitlines() if line]

    def close(self) -> None:
        mappings, self.mappings = self.mappings, []
        for m in mappings:
            self.loop.call(m.close())
        emulator, self.emulator = self.emulator, None
        if emulator is not None:
            self.loop.call(emulator.close())
