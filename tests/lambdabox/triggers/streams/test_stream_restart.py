"""`lambdabox up --state-dir` SIGKILLed mid-batch on a Kinesis stream, then restarted: it
resumes after the last checkpoint (not from TRIM_HORIZON), the batch in flight is read
again (at least once), and no record is skipped. Without --state-dir it starts over."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lambdabox.services.moto_server import MotoServer
from lambdabox.testing.polling import read_jsonl, wait_for
from lambdabox.testing.up import UpLauncher
from lambdabox.triggers.streams.sources import client

HANDLER = """\
import json, os, time

def handler(event, context):
    seqs = [r["kinesis"]["sequenceNumber"] for r in event["Records"]]
    with open(os.environ["LOG"], "a") as f:
        f.write(json.dumps({"start": seqs}) + "\\n")
    time.sleep(0.3)
    with open(os.environ["LOG"], "a") as f:
        f.write(json.dumps({"end": seqs}) + "\\n")
    return {}
"""

TEMPLATE = """\
Resources:
  Orders:
    Type: AWS::Kinesis::Stream
    Properties: {{Name: {stream}, ShardCount: 1}}
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
          Type: Kinesis
          Properties: {{Stream: !GetAtt Orders.Arn, StartingPosition: TRIM_HORIZON, BatchSize: 4}}
"""


@pytest.fixture(scope="module")
def moto() -> Iterator[MotoServer]:
    with MotoServer() as server:
        yield server


def _app(tmp_path: Path) -> tuple[Path, str, Path]:
    app = tmp_path / "app"
    (app / "src").mkdir(parents=True)
    (app / "src" / "app.py").write_text(HANDLER)
    stream, log = f"orders-{uuid.uuid4().hex[:8]}", tmp_path / "calls.jsonl"
    (app / "template.yaml").write_text(TEMPLATE.format(stream=stream, log=log))
    return app, stream, log


def _put(endpoint: str, stream: str, count: int) -> list[str]:
    kinesis: Any = client("kinesis", endpoint, "us-east-1")
    return [
        kinesis.put_record(StreamName=stream, Data=f"r{i}".encode(), PartitionKey="k")[
            "SequenceNumber"
        ]
        for i in range(count)
    ]


def test_killed_mid_batch_resumes_after_checkpoint(
    tmp_path: Path, moto: MotoServer, launcher: UpLauncher
) -> None:
    app, stream, log = _app(tmp_path)
    state = tmp_path / "state"
    args = ("--sqs-endpoint", moto.endpoint, "--state-dir", str(state))
    first = launcher.start(*args, cwd=app)
    sent = _put(moto.endpoint, stream, 24)

    def mid_batch() -> bool:
        entries = read_jsonl(log)
        ended = sum("end" in e for e in entries)
        return ended >= 2 and sum("start" in e for e in entries) > ended

    wait_for(mid_batch)
    first.kill_tree()
    at_kill = read_jsonl(log)
    ended_before = [e["end"] for e in at_kill if "end" in e]
    assert "start" in at_kill[-1]  # the kill hit a batch being processed
    in_flight = at_kill[-1]["start"]
    assert in_flight not in ended_before
    assert (state / "streams" / "checkpoints.sqlite3").exists()

    second = launcher.start(*args, cwd=app)
    wait_for(lambda: {s for e in read_jsonl(log) if "end" in e for s in e["end"]} >= set(sent))
    assert second.stop() == 0
    assert "resuming after checkpoint" in second.stderr()

    after = read_jsonl(log)[len(at_kill) :]
    redone = [e["start"] for e in after if "start" in e]
    # Nothing skipped: every record was processed to the end at least once.
    assert {s for e in read_jsonl(log) if "end" in e for s in e["end"]} == set(sent)
    # The batch in flight at the kill is read again...
    assert redone[0][0] == in_flight[0]
    # ...and nothing before it (at most the batch that ended just before the kill, if its
    # checkpoint had not been written yet): the restart did not go back to TRIM_HORIZON.
    repeated = {s for batch in redone for s in batch} & {s for b in ended_before for s in b}
    assert repeated <= set(ended_before[-1])
    assert sent[0] not in {s for batch in redone for s in batch}


def test_without_state_dir_a_restart_starts_over(
    tmp_path: Path, moto: MotoServer, launcher: UpLauncher
) -> None:
    app, stream, log = _app(tmp_path)
    first = launcher.start("--sqs-endpoint", moto.endpoint, cwd=app)
    sent = _put(moto.endpoint, stream, 4)
    wait_for(lambda: any("end" in e for e in read_jsonl(log)))
    assert first.stop() == 0
    count = len(read_jsonl(log))
    second = launcher.start("--sqs-endpoint", moto.endpoint, cwd=app)
    wait_for(lambda: any("end" in e for e in read_jsonl(log)[count:]))
    assert second.stop() == 0
    assert read_jsonl(log)[count]["start"][0] == sent[0]  # TRIM_HORIZON again


def test_a_recreated_stream_does_not_reuse_an_old_checkpoint(
    tmp_path: Path, launcher: UpLauncher
) -> None:
    # lambdabox's own moto each time: the second run's stream is new and numbers its
    # records from the start again, so the first run's checkpoint must not skip them.
    app, stream, log = _app(tmp_path)
    state = ("--state-dir", str(tmp_path / "state"))
    first = launcher.start(*state, cwd=app)
    sent = _put(first.listing["awsEndpoint"], stream, 6)
    wait_for(lambda: {s for e in read_jsonl(log) if "end" in e for s in e["end"]} >= set(sent))
    assert first.stop() == 0
    count = len(read_jsonl(log))
    second = launcher.start(*state, cwd=app)
    again = _put(second.listing["awsEndpoint"], stream, 2)
    wait_for(
        lambda: {s for e in read_jsonl(log)[count:] if "end" in e for s in e["end"]} >= set(again)
    )
    assert second.stop() == 0
    assert "resuming after checkpoint" not in second.stderr()
