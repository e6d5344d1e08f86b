"""DynamoDB Streams mappings on moto's server: the table (and its stream) created from the
template, INSERT/MODIFY/REMOVE records as the service's example shows them, and an
AWS::Lambda::EventSourceMapping naming the stream by its template ARN."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from lambdabox.app.invoker import EmulatorInvoker
from lambdabox.emulator.config import EmulatorConfig, FunctionConfig
from lambdabox.emulator.server import Emulator
from lambdabox.services.moto_server import MotoServer
from lambdabox.template.model import Resource, Template
from lambdabox.triggers import streams
from lambdabox.triggers.ports import AppSettings
from lambdabox.triggers.streams.sources import client
from lambdabox.triggers.streams.testing import DynamoDBHelper

pytestmark = pytest.mark.slow
ACCOUNT = "123456789012"
REGION = "us-east-1"
HANDLER = """
import json, os

def handler(event, context):
    with open(os.environ["EVENTS_FILE"], "a") as f:
        f.write(json.dumps(event) + "\\n")
    return None
"""


@pytest.fixture(scope="module")
def moto() -> Iterator[MotoServer]:
    with MotoServer() as server:
        yield server


def test_table_changes_reach_the_function_as_stream_records(
    tmp_path: Path, moto: MotoServer
) -> None:
    table = "Orders"
    code = tmp_path / "code"
    code.mkdir()
    (code / "app.py").write_text(HANDLER)
    events_file = tmp_path / "events.jsonl"
    resources = {
        "Table": Resource(
            "Table",
            "AWS::DynamoDB::Table",
            {
                "TableName": table,
                "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
                "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
                "StreamSpecification": {"StreamViewType": "NEW_AND_OLD_IMAGES"},
            },
        ),
        "Consumer": Resource("Consumer", "AWS::Serverless::Function", {}),
        "Mapping": Resource(
            "Mapping",
            "AWS::Lambda::EventSourceMapping",
            {
                "FunctionName": "consumer",
                # The template's label; the real one is looked up on the endpoint.
                "EventSourceArn": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{table}/stream/x",
                "StartingPosition": "TRIM_HORIZON",
                "BatchSize": 10,
            },
        ),
    }
    template = Template(path=tmp_path / "t.yaml", resources=resources, account_id=ACCOUNT)
    notes: list[str] = []
    settings = AppSettings(
        account_id=ACCOUNT, notes=notes.append, extra={"aws_endpoint": moto.endpoint}
    )
    cfg = EmulatorConfig(
        command=(sys.executable, "-m", "runtime_interface", "app.handler"),
        function=FunctionConfig(name="consumer", account_id=ACCOUNT),
        cwd=str(code),
        handler="app.handler",
        runtime_env={"EVENTS_FILE": str(events_file)},
        invoke_port=0,
        runtime_api_port=0,
        log_level="error",
    )

    async def scenario() -> None:
        created = await streams.provision(template, moto.endpoint, settings)
        assert created == [f"dynamodb table {table} with stream"]
        emulator = Emulator(cfg, log=lambda _line: None)
        await emulator.start()
        (trigger,) = streams.triggers(template, EmulatorInvoker({"Consumer": emulator}), settings)
        helper = DynamoDBHelper(moto.endpoint, [trigger])
        try:
            await asyncio.to_thread(
                helper.put_item, table, {"id": {"S": "1"}, "n": {"N": "1"}, "b": {"B": b"\x00"}}
            )
            await asyncio.to_thread(helper.put_item, table, {"id": {"S": "1"}, "n": {"N": "2"}})
            await asyncio.to_thread(helper.delete_item, table, {"id": {"S": "1"}})
            await trigger.start()
            (batch,) = await helper.wait_idle_async()
            assert batch.ok
            assert trigger.describe()[0].text == (
                f"dynamodb {table} -> consumer (batch 10, window 0 s, start TRIM_HORIZON)"
            )
        finally:
            await trigger.close()
            await emulator.close()
        (event,) = [json.loads(line) for line in events_file.read_text().splitlines()]
        stream_arn = client("dynamodb", moto.endpoint, REGION).describe_table(TableName=table)[
            "Table"
        ]["LatestStreamArn"]
        records = event["Records"]
        assert [r["eventName"] for r in records] == ["INSERT", "MODIFY", "REMOVE"]
        for r in records:
            assert list(r) == [
                "eventID",
                "eventName",
                "eventVersion",
                "eventSource",
                "awsRegion",
                "dynamodb",
                "eventSourceARN",
            ]
            assert r["eventSource"] == "aws:dynamodb"
            assert r["awsRegion"] == REGION
            assert r["eventSourceARN"] == stream_arn
            d = r["dynamodb"]
            assert d["Keys"] == {"id": {"S": "1"}}
            assert d["StreamViewType"] == "NEW_AND_OLD_IMAGES"
            assert isinstance(d["ApproximateCreationDateTime"], int)
            assert isinstance(d["SizeBytes"], int)
            assert d["SequenceNumber"].isdigit()
        insert, modify, remove = (r["dynamodb"] for r in records)
        assert insert["NewImage"] == {"id": {"S": "1"}, "n": {"N": "1"}, "b": {"B": "AA=="}}
        assert "OldImage" not in insert
        assert modify["OldImage"] == insert["NewImage"]
        assert modify["NewImage"] == {"id": {"S": "1"}, "n": {"N": "2"}}
        assert remove["OldImage"] == modify["NewImage"]
        assert "NewImage" not in remove
        seqs = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
        assert seqs == sorted(seqs)

    asyncio.run(scenario())
