"""An Application in this process: destinations of asynchronous records, the --function
subset as triggers see it, invocations observed through the invoker."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from lambdabox.app.application import Application
from lambdabox.app.config import AppConfig
from lambdabox.app.destinations import DestinationError
from lambdabox.app.invoker import Call
from lambdabox.services.moto_server import free_port


def _config(folder: Path, **changes: Any) -> AppConfig:
    lines: list[str] = []
    base = AppConfig(
        template=folder / "template.yaml", port=free_port(), watch=False, say=lines.append
    )
    return dataclasses.replace(base, **changes)


def test_destination_records_reach_functions(two_functions: Path) -> None:
    said: list[str] = []
    calls: list[Call] = []

    async def scenario() -> None:
        app = Application(_config(two_functions, say=said.append))
        app.invoker.observe(calls.append)
        await app.start()
        try:
            record = json.dumps({"version": "1.0", "requestPayload": {"n": 1}}).encode()
            arn = "arn:aws:lambda:us-east-1:123456789012:function:orders-fn"
            await app.destinations.deliver(arn, record)
            for _ in range(200):
                if "REPORT RequestId" in "\n".join(app.logs.lines("OrdersFunction")):
                    break
                await asyncio.sleep(0.05)
            assert calls == [Call("OrdersFunction", "Event", record, calls[0].request_id)]
            assert any(calls[0].request_id in line for line in app.logs.lines("OrdersFunction"))
            with pytest.raises(DestinationError, match="not a function of this application"):
                await app.destinations.deliver(arn.replace("orders-fn", "gone"), record)
            await app.destinations.deliver("arn:aws:sns:us-east-1:123456789012:topic", record)
        finally:
            await app.close()

    asyncio.run(scenario())
    assert any("arn:aws:sns:us-east-1:123456789012:topic is not run locally" in s for s in said)


def test_function_subset_hides_the_others_from_triggers(two_functions: Path) -> None:
    app = Application(_config(two_functions, functions=("orders-fn",)))
    template, specs, _ = app.load()
    assert [s.path for s in specs] == ["OrdersFunction"]
    assert [r.path for r in template.functions()] == ["OrdersFunction"]
    assert "Shared" in template.resources  # other resources stay
