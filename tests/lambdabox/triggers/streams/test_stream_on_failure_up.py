"""`lambdabox up` with a DynamoDB stream whose function always fails: after its retries the
records are discarded and the service's failure record lands in the S3 bucket named by
`DestinationConfig.OnFailure` (created on lambdabox's own moto), with the whole event."""

from __future__ import annotations

import json
import re
import time
import uuid
from pathlib import Path
from typing import Any

from lambdabox.testing.up import UpLauncher
from lambdabox.triggers.streams.sources import client

HANDLER = """\
def handler(event, context):
    raise ValueError("cannot handle " + event["Records"][0]["eventName"])
"""

TEMPLATE = """\
Resources:
  Orders:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: {table}
      KeySchema: [{{AttributeName: id, KeyType: HASH}}]
      AttributeDefinitions: [{{AttributeName: id, AttributeType: S}}]
      StreamSpecification: {{StreamViewType: NEW_IMAGE}}
  Consumer:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src
      Handler: app.handler
      Runtime: python3.11
      Events:
        Changes:
          Type: DynamoDB
          Properties:
            Stream: !GetAtt Orders.StreamArn
            StartingPosition: TRIM_HORIZON
            MaximumRetryAttempts: 1
            DestinationConfig: {{OnFailure: {{Destination: "arn:aws:s3:::{bucket}"}}}}
"""


def test_discarded_dynamodb_records_go_to_the_s3_bucket(
    tmp_path: Path, launcher: UpLauncher
) -> None:
    app = tmp_path / "app"
    (app / "src").mkdir(parents=True)
    (app / "src" / "app.py").write_text(HANDLER)
    table, bucket = f"orders-{uuid.uuid4().hex[:8]}", f"failed-{uuid.uuid4().hex[:8]}"
    (app / "template.yaml").write_text(TEMPLATE.format(table=table, bucket=bucket))
    up = launcher.start(cwd=app)
    endpoint = up.listing["awsEndpoint"]
    client("dynamodb", endpoint, "us-east-1").put_item(
        TableName=table, Item={"id": {"S": "o-1"}, "total": {"N": "12"}}
    )
    s3: Any = client("s3", endpoint, "us-east-1")
    deadline = time.monotonic() + 60
    objects: list[dict[str, Any]] = []
    while not objects:
        assert time.monotonic() < deadline, up.stderr()
        objects = s3.list_objects_v2(Bucket=bucket).get("Contents", [])
        time.sleep(0.1)
    [obj] = objects
    body = json.loads(s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read())
    assert up.stop() == 0

    info = body["DDBStreamBatchInfo"]
    assert obj["Key"].startswith("aws/lambda/")
    assert obj["Key"].split("/")[3] == info["shardId"]
    assert set(body) == {
        "requestContext",
        "responseContext",
        "version",
        "timestamp",
        "DDBStreamBatchInfo",
        "payload",
    }
    assert body["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert body["requestContext"]["approximateInvokeCount"] == 2  # the try and one retry
    assert body["requestContext"]["functionArn"].endswith(":function:Consumer")
    assert body["responseContext"] == {
        "statusCode": 200,
        "executedVersion": "$LATEST",
        "functionError": "Unhandled",
    }
    assert info["batchSize"] == 1
    assert info["startSequenceNumber"] == info["endSequenceNumber"]
    assert ":table/" + table + "/stream/" in info["streamArn"]
    # DynamoDB batch info times are whole seconds (the documented example), unlike Kinesis.
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", info["approximateArrivalOfFirstRecord"])
    [record] = body["payload"]["Records"]
    assert record["eventName"] == "INSERT"
    assert record["dynamodb"]["NewImage"] == {"id": {"S": "o-1"}, "total": {"N": "12"}}
    assert record["dynamodb"]["SequenceNumber"] == info["startSequenceNumber"]
