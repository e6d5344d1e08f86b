"""`lambdabox up` runs an SQS mapping with no more concurrent batches than the function may
run: ReservedConcurrentExecutions caps the pollers (no batch is received, its visibility
timeout running, only to wait for an environment)."""

from __future__ import annotations

import json
import threading
import time
import uuid
from pathlib import Path

from lambdabox.testing.up import UpLauncher
from lambdabox.triggers.sqs.client import sqs_client

HANDLER = """\
import fcntl, json, os, time

def handler(event, context):
    # A counter of running invocations under a file lock: the highest value seen is the
    # number of batches that ran at once.
    path = os.environ["COUNTER"]
    with open(path, "a+") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        f.seek(0)
        running, peak = (json.loads(f.read() or "[0, 0]"))
        running += 1
        f.seek(0); f.truncate(); f.write(json.dumps([running, max(peak, running)]))
    time.sleep(0.4)
    with open(path, "a+") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        f.seek(0)
        running, peak = json.loads(f.read())
        f.seek(0); f.truncate(); f.write(json.dumps([running - 1, peak]))
    with open(os.environ["DONE"], "a") as f:
        f.write(event["Records"][0]["body"] + "\\n")
    return {}
"""

TEMPLATE = """\
Resources:
  Jobs:
    Type: AWS::SQS::Queue
    Properties: {{QueueName: {queue}, VisibilityTimeout: 30}}
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src
      Handler: app.handler
      Runtime: python3.11
      Timeout: 10
      ReservedConcurrentExecutions: 2
      Environment: {{Variables: {{COUNTER: {counter}, DONE: {done}}}}}
      Events:
        Jobs:
          Type: SQS
          Properties: {{Queue: !GetAtt Jobs.Arn, BatchSize: 1}}
"""


def test_reserved_concurrency_caps_concurrent_batches(
    tmp_path: Path, moto_endpoint: str, launcher: UpLauncher
) -> None:
    app = tmp_path / "app"
    (app / "src").mkdir(parents=True)
    (app / "src" / "app.py").write_text(HANDLER)
    queue = f"capped-{uuid.uuid4().hex[:8]}"
    counter, done = tmp_path / "counter.json", tmp_path / "done.txt"
    (app / "template.yaml").write_text(TEMPLATE.format(queue=queue, counter=counter, done=done))
    up = launcher.start("--sqs-endpoint", moto_endpoint, "--max-concurrency", "6", cwd=app)
    [sqs] = [t for t in up.listing["triggers"] if t["kind"] == "sqs"]
    assert sqs["detail"]["concurrent_batches"] == 2  # not the 6 environments, not 5 pollers

    client = sqs_client(moto_endpoint, "us-east-1")
    url = client.get_queue_url(QueueName=queue)["QueueUrl"]
    bodies = [f"m{i}" for i in range(8)]
    for body in bodies:
        client.send_message(QueueUrl=url, MessageBody=body)

    in_flight: list[int] = []
    stop = threading.Event()

    def watch() -> None:  # messages received by the mapping and not yet deleted
        while not stop.is_set():
            attrs = client.get_queue_attributes(
                QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"]
            )["Attributes"]
            in_flight.append(int(attrs["ApproximateNumberOfMessagesNotVisible"]))
            time.sleep(0.05)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if done.exists() and len(done.read_text().split()) >= len(bodies):
                break
            time.sleep(0.1)
    finally:
        stop.set()
        watcher.join(10)
    assert sorted(done.read_text().split()) == sorted(bodies), up.stderr()
    running, peak = json.loads(counter.read_text())
    assert (running, peak) == (0, 2)  # two batches ran at once, never more
    assert max(in_flight) <= 2  # and never more than two were taken off the queue
    assert up.stop() == 0
