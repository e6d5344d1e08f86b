"""`lambdabox up` SIGKILLed (with every process below it) mid-batch on an SQS queue, then
restarted against the same endpoint: every message is processed at least once, and what
was in flight at the kill was not deleted: it came back after its visibility timeout."""

from __future__ import annotations

import uuid
from pathlib import Path

from lambdabox.testing.polling import read_jsonl, wait_for
from lambdabox.testing.up import UpLauncher
from lambdabox.triggers.sqs.client import sqs_client

HANDLER = """\
import json, os, time

def handler(event, context):
    entry = {"ids": [r["messageId"] for r in event["Records"]],
             "counts": [r["attributes"]["ApproximateReceiveCount"] for r in event["Records"]]}
    with open(os.environ["LOG"], "a") as f:
        f.write(json.dumps({"start": entry}) + "\\n")
    time.sleep(0.3)
    with open(os.environ["LOG"], "a") as f:
        f.write(json.dumps({"end": entry}) + "\\n")
    return {}
"""

TEMPLATE = """\
Resources:
  Jobs:
    Type: AWS::SQS::Queue
    Properties: {{QueueName: {queue}, VisibilityTimeout: 2}}
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src
      Handler: app.handler
      Runtime: python3.11
      Timeout: 2
      ReservedConcurrentExecutions: 1
      Environment: {{Variables: {{LOG: {log}}}}}
      Events:
        Jobs:
          Type: SQS
          Properties: {{Queue: !GetAtt Jobs.Arn, BatchSize: 3}}
"""


def test_killed_mid_batch_then_restarted_loses_nothing(
    tmp_path: Path, moto_endpoint: str, launcher: UpLauncher
) -> None:
    app, log = tmp_path / "app", tmp_path / "calls.jsonl"
    (app / "src").mkdir(parents=True)
    (app / "src" / "app.py").write_text(HANDLER)
    queue = f"restart-{uuid.uuid4().hex[:8]}"
    (app / "template.yaml").write_text(TEMPLATE.format(queue=queue, log=log))
    first = launcher.start("--sqs-endpoint", moto_endpoint, cwd=app)
    client = sqs_client(moto_endpoint, "us-east-1")
    url = client.get_queue_url(QueueName=queue)["QueueUrl"]
    sent = {client.send_message(QueueUrl=url, MessageBody=f"m{i}")["MessageId"] for i in range(18)}

    def mid_batch() -> bool:
        entries = read_jsonl(log)
        done = sum("end" in e for e in entries)
        return done >= 2 and sum("start" in e for e in entries) > done

    wait_for(mid_batch)
    first.kill_tree()
    at_kill = read_jsonl(log)
    assert "start" in at_kill[-1]  # the kill hit a batch being processed
    in_flight = set(at_kill[-1]["start"]["ids"])

    second = launcher.start("--sqs-endpoint", moto_endpoint, cwd=app)

    def ended() -> set[str]:
        return {i for e in read_jsonl(log) if "end" in e for i in e["end"]["ids"]}

    wait_for(lambda: ended() >= sent)

    def drained() -> bool:
        attrs = client.get_queue_attributes(
            QueueUrl=url,
            AttributeNames=[
                "ApproximateNumberOfMessages",
                "ApproximateNumberOfMessagesNotVisible",
            ],
        )["Attributes"]
        return not any(int(v) for v in attrs.values())

    wait_for(drained, timeout=20)  # every message deleted once its batch succeeded
    assert second.stop() == 0
    assert ended() == sent
    again = {
        i
        for e in read_jsonl(log)[len(at_kill) :]
        if "start" in e
        for i, count in zip(e["start"]["ids"], e["start"]["counts"])
        if int(count) >= 2
    }
    assert in_flight <= again  # not deleted at the kill: received again after its timeout
