"""Sample events (`lambdabox event`): documented shapes, --set edits, errors, the CLI."""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
from typing import Any

import jsonschema
import pytest

from lambdabox import events
from lambdabox.events import cli

Schema = dict[str, Any]

STRING: Schema = {"type": "string"}
NON_EMPTY: Schema = {"type": "string", "minLength": 1}
INTEGER: Schema = {"type": "integer"}
NUMBER: Schema = {"type": "number"}
BOOLEAN: Schema = {"type": "boolean"}
ACCOUNT: Schema = {"type": "string", "pattern": r"^\d{12}$"}
REGION: Schema = {"type": "string", "pattern": r"^[a-z]{2}(-[a-z]+)+-\d$"}
UUID: Schema = {
    "type": "string",
    "pattern": r"^[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$",
}
ISO_TIME: Schema = {
    "type": "string",
    "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$",
}
# API Gateway's request time, e.g. 27/Nov/2026:12:00:00 +0000
CLF_TIME: Schema = {
    "type": "string",
    "pattern": r"^\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}$",
}
EPOCH_MS: Schema = {"type": "integer", "minimum": 1_000_000_000_000}
STRING_MAP: Schema = {"type": "object", "additionalProperties": STRING}
STRING_LIST_MAP: Schema = {
    "type": "object",
    "additionalProperties": {"type": "array", "items": STRING},
}


def nullable(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]}


def const(value: Any) -> Schema:
    return {"const": value}


def arn(service: str) -> Schema:
    return {"type": "string", "pattern": rf"^arn:aws:{service}:"}


def obj(required: dict[str, Schema], optional: dict[str, Schema] | None = None) -> Schema:
    """An object with these required fields (and these optional ones, when present)."""
    return {
        "type": "object",
        "required": sorted(required),
        "properties": {**(optional or {}), **required},
    }


def records(record: Schema) -> Schema:
    return obj({"Records": {"type": "array", "minItems": 1, "items": record}})


HTTP_V2 = obj(
    {
        "version": const("2.0"),
        "routeKey": NON_EMPTY,
        "rawPath": {"type": "string", "pattern": "^/"},
        "rawQueryString": STRING,
        "headers": STRING_MAP,
        "requestContext": obj(
            {
                "accountId": STRING,
                "apiId": NON_EMPTY,
                "domainName": NON_EMPTY,
                "domainPrefix": NON_EMPTY,
                "http": obj(
                    {
                        "method": {"enum": ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]},
                        "path": {"type": "string", "pattern": "^/"},
                        "protocol": STRING,
                        "sourceIp": NON_EMPTY,
                        "userAgent": STRING,
                    }
                ),
                "requestId": NON_EMPTY,
                "routeKey": NON_EMPTY,
                "stage": NON_EMPTY,
                "time": CLF_TIME,
                "timeEpoch": EPOCH_MS,
            }
        ),
        "isBase64Encoded": BOOLEAN,
    },
    {
        "cookies": {"type": "array", "items": STRING},
        "queryStringParameters": STRING_MAP,
        "pathParameters": STRING_MAP,
        "stageVariables": STRING_MAP,
        "body": STRING,
    },
)

S3_RECORD: Schema = {
    **obj(
        {
            "eventVersion": STRING,
            "eventSource": const("aws:s3"),
            "awsRegion": REGION,
            "eventTime": ISO_TIME,
            "eventName": {"type": "string", "pattern": r"^Object(Created|Removed):"},
            "userIdentity": obj({"principalId": STRING}),
            "requestParameters": obj({"sourceIPAddress": STRING}),
            "responseElements": obj({"x-amz-request-id": STRING, "x-amz-id-2": STRING}),
            "s3": obj(
                {
                    "s3SchemaVersion": STRING,
                    "configurationId": STRING,
                    "bucket": obj(
                        {
                            "name": NON_EMPTY,
                            "ownerIdentity": obj({"principalId": STRING}),
                            "arn": arn("s3"),
                        }
                    ),
                    "object": obj({"key": NON_EMPTY, "sequencer": STRING}),
                }
            ),
        }
    ),
    # objects created carry a size and an ETag; removals do not
    "if": {"properties": {"eventName": {"pattern": "^ObjectCreated:"}}},
    "then": obj(
        {"s3": obj({"object": obj({"size": {"type": "integer", "minimum": 0}, "eTag": STRING})})}
    ),
}

EVENTBRIDGE = obj(
    {
        "version": const("0"),
        "id": UUID,
        "detail-type": NON_EMPTY,
        "source": NON_EMPTY,
        "account": ACCOUNT,
        "time": ISO_TIME,
        "region": REGION,
        "resources": {"type": "array", "items": STRING},
        "detail": {"type": "object"},
    }
)

ATTRIBUTE_VALUE: Schema = {"type": "object", "minProperties": 1, "maxProperties": 1}
DDB_ITEM: Schema = {"type": "object", "additionalProperties": ATTRIBUTE_VALUE}

SCHEMAS: dict[str, Schema] = {
    "apigateway-rest": obj(
        {
            "resource": NON_EMPTY,
            "path": {"type": "string", "pattern": "^/"},
            "httpMethod": NON_EMPTY,
            "headers": nullable(STRING_MAP),
            "multiValueHeaders": nullable(STRING_LIST_MAP),
            "queryStringParameters": nullable(STRING_MAP),
            "multiValueQueryStringParameters": nullable(STRING_LIST_MAP),
            "pathParameters": nullable(STRING_MAP),
            "stageVariables": nullable(STRING_MAP),
            "requestContext": obj(
                {
                    "accountId": ACCOUNT,
                    "apiId": NON_EMPTY,
                    "domainName": NON_EMPTY,
                    "httpMethod": NON_EMPTY,
                    "identity": obj({"sourceIp": NON_EMPTY}),
                    "path": NON_EMPTY,
                    "protocol": STRING,
                    "requestId": UUID,
                    "requestTime": CLF_TIME,
                    "requestTimeEpoch": EPOCH_MS,
                    "resourceId": NON_EMPTY,
                    "resourcePath": NON_EMPTY,
                    "stage": NON_EMPTY,
                }
            ),
            "body": nullable(STRING),
            "isBase64Encoded": BOOLEAN,
        }
    ),
    "apigateway-http": {
        "allOf": [
            HTTP_V2,
            obj(
                {
                    "requestContext": obj(
                        {
                            "accountId": ACCOUNT,
                            "domainName": {
                                "pattern": r"\.execute-api\.[a-z0-9-]+\.amazonaws\.com$"
                            },
                        }
                    )
                }
            ),
        ]
    },
    "function-url": {
        "allOf": [
            HTTP_V2,
            obj(
                {
                    "routeKey": const("$default"),
                    "requestContext": obj(
                        {
                            "domainName": {
                                "pattern": r"^[a-z0-9]{32}\.lambda-url\.[a-z0-9-]+\.on\.aws$"
                            },
                            "routeKey": const("$default"),
                            "stage": const("$default"),
                        }
                    ),
                }
            ),
        ]
    },
    "alb": obj(
        {
            "requestContext": obj({"elb": obj({"targetGroupArn": arn("elasticloadbalancing")})}),
            "httpMethod": NON_EMPTY,
            "path": {"type": "string", "pattern": "^/"},
            "queryStringParameters": STRING_MAP,
            "headers": STRING_MAP,
            "body": STRING,
            "isBase64Encoded": BOOLEAN,
        }
    ),
    "s3-put": records(S3_RECORD),
    "s3-delete": records(S3_RECORD),
    "sqs": records(
        obj(
            {
                "messageId": UUID,
                "receiptHandle": NON_EMPTY,
                "body": STRING,
                "attributes": obj(
                    {
                        "ApproximateReceiveCount": {"type": "string", "pattern": r"^\d+$"},
                        "SentTimestamp": {"type": "string", "pattern": r"^\d{13}$"},
                        "SenderId": NON_EMPTY,
                        "ApproximateFirstReceiveTimestamp": {
                            "type": "string",
                            "pattern": r"^\d{13}$",
                        },
                    }
                ),
                "messageAttributes": {
                    "type": "object",
                    "additionalProperties": obj({"dataType": NON_EMPTY}),
                },
                "md5OfBody": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
                "eventSource": const("aws:sqs"),
                "eventSourceARN": arn("sqs"),
                "awsRegion": REGION,
            }
        )
    ),
    "sns": records(
        obj(
            {
                "EventVersion": STRING,
                "EventSubscriptionArn": arn("sns"),
                "EventSource": const("aws:sns"),
                "Sns": obj(
                    {
                        "SignatureVersion": STRING,
                        "Timestamp": ISO_TIME,
                        "Signature": NON_EMPTY,
                        "SigningCertUrl": {"type": "string", "pattern": "^https://"},
                        "MessageId": UUID,
                        "Message": STRING,
                        "MessageAttributes": {
                            "type": "object",
                            "additionalProperties": obj({"Type": NON_EMPTY, "Value": STRING}),
                        },
                        "Type": const("Notification"),
                        "UnsubscribeUrl": {"type": "string", "pattern": "^https://"},
                        "TopicArn": arn("sns"),
                    },
                    {"Subject": nullable(STRING)},
                ),
            }
        )
    ),
    "dynamodb": records(
        {
            **obj(
                {
                    "eventID": NON_EMPTY,
                    "eventName": {"enum": ["INSERT", "MODIFY", "REMOVE"]},
                    "eventVersion": STRING,
                    "eventSource": const("aws:dynamodb"),
                    "awsRegion": REGION,
                    "eventSourceARN": {
                        "type": "string",
                        "pattern": r"^arn:aws:dynamodb:.*/stream/",
                    },
                    "dynamodb": obj(
                        {
                            "ApproximateCreationDateTime": NUMBER,
                            "Keys": {**DDB_ITEM, "minProperties": 1},
                            "SequenceNumber": {"type": "string", "pattern": r"^\d+$"},
                            "SizeBytes": INTEGER,
                            "StreamViewType": {
                                "enum": [
                                    "KEYS_ONLY",
                                    "NEW_IMAGE",
                                    "OLD_IMAGE",
                                    "NEW_AND_OLD_IMAGES",
                                ]
                            },
                        },
                        {"NewImage": DDB_ITEM, "OldImage": DDB_ITEM},
                    ),
                }
            ),
            "allOf": [
                {
                    "if": {"properties": {"eventName": {"enum": ["INSERT", "MODIFY"]}}},
                    "then": obj({"dynamodb": obj({"NewImage": DDB_ITEM})}),
                },
                {
                    "if": {"properties": {"eventName": {"enum": ["MODIFY", "REMOVE"]}}},
                    "then": obj({"dynamodb": obj({"OldImage": DDB_ITEM})}),
                },
            ],
        }
    ),
    "kinesis": records(
        obj(
            {
                "kinesis": obj(
                    {
                        "kinesisSchemaVersion": STRING,
                        "partitionKey": NON_EMPTY,
                        "sequenceNumber": {"type": "string", "pattern": r"^\d+$"},
                        "data": {"type": "string", "contentEncoding": "base64"},
                        "approximateArrivalTimestamp": NUMBER,
                    }
                ),
                "eventSource": const("aws:kinesis"),
                "eventVersion": STRING,
                "eventID": {"type": "string", "pattern": r"^shardId-\d+:\d+$"},
                "eventName": const("aws:kinesis:record"),
                "invokeIdentityArn": arn("iam"),
                "awsRegion": REGION,
                "eventSourceARN": arn("kinesis"),
            }
        )
    ),
    "eventbridge": EVENTBRIDGE,
    "scheduled": {
        "allOf": [
            EVENTBRIDGE,
            obj(
                {
                    "source": const("aws.events"),
                    "detail-type": const("Scheduled Event"),
                    "resources": {
                        "type": "array",
                        "minItems": 1,
                        "items": {"type": "string", "pattern": r"^arn:aws:events:.*:rule/"},
                    },
                    "detail": {"type": "object", "maxProperties": 0},
                }
            ),
        ]
    },
}


def validate(name: str, event: Any) -> None:
    schema = SCHEMAS[name]
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(event)


def test_every_source_has_a_schema_and_a_description() -> None:
    assert sorted(events.names()) == sorted(SCHEMAS)
    for name in events.names():
        assert events.describe(name)
        assert "\n" not in events.describe(name)


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_sample_has_the_documented_shape(name: str) -> None:
    validate(name, events.sample(name))


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_sample_uses_fake_account_and_region(name: str) -> None:
    text = json.dumps(events.sample(name))
    accounts = {
        word
        for word in text.replace(":", " ").replace('"', " ").split()
        if word.isdigit() and len(word) == 12
    }
    assert accounts <= {"123456789012"}
    assert "us-east-1" in text


def test_schemas_reject_wrong_events() -> None:
    """The schemas have teeth: a wrong source, a missing field, a wrong type all fail."""
    bad = [
        ("sqs", {"Records.0.eventSource": "aws:sns"}),
        ("s3-put", {"Records.0.eventName": "ObjectCreated:Put", "Records.0.s3.object": "{}"}),
        ("apigateway-http", {"version": "1.0"}),
        ("apigateway-rest", {"isBase64Encoded": '"no"'}),
        ("scheduled", {"detail-type": "Something Else"}),
        ("function-url", {"requestContext.domainName": "abc.execute-api.us-east-1.amazonaws.com"}),
    ]
    for name, overrides in bad:
        with pytest.raises(jsonschema.ValidationError):
            validate(name, events.sample(name, overrides))
    event = events.sample("s3-put")
    del event["Records"][0]["s3"]["object"]["size"]
    with pytest.raises(jsonschema.ValidationError):
        validate("s3-put", event)


def test_samples_are_self_consistent() -> None:
    for record in events.sample("sqs")["Records"]:
        assert record["md5OfBody"] == hashlib.md5(record["body"].encode()).hexdigest()
        json.loads(record["body"])
    data = events.sample("kinesis")["Records"][0]["kinesis"]["data"]
    assert json.loads(base64.b64decode(data, validate=True))
    json.loads(events.sample("sns")["Records"][0]["Sns"]["Message"])
    for name in ("apigateway-rest", "apigateway-http"):
        event = events.sample(name)
        json.loads(event["body"])
    http = events.sample("apigateway-http")
    assert http["routeKey"] == http["requestContext"]["routeKey"]
    assert http["routeKey"] == f"{http['requestContext']['http']['method']} {http['rawPath']}"
    rest = events.sample("apigateway-rest")
    assert rest["httpMethod"] == rest["requestContext"]["httpMethod"]
    assert {k: [v] for k, v in rest["headers"].items()} == rest["multiValueHeaders"]
    assert events.sample("s3-put")["Records"][0]["eventName"] == "ObjectCreated:Put"
    assert events.sample("s3-delete")["Records"][0]["eventName"] == "ObjectRemoved:Delete"


def test_sample_is_a_fresh_copy() -> None:
    first = events.sample("sqs")
    first["Records"].clear()
    assert len(events.sample("sqs")["Records"]) == 2


def test_overrides_follow_paths_and_parse_json() -> None:
    event = events.sample(
        "s3-put",
        {
            "Records.0.s3.object.key": "photos/cat.jpg",
            "Records.0.s3.object.size": "2048",
            "Records.0.s3.bucket": '{"name": "b", "ownerIdentity": {"principalId": "p"}, '
            '"arn": "arn:aws:s3:::b"}',
        },
    )
    obj_ = event["Records"][0]["s3"]["object"]
    assert obj_["key"] == "photos/cat.jpg"
    assert obj_["size"] == 2048
    assert event["Records"][0]["s3"]["bucket"]["name"] == "b"
    validate("s3-put", event)
    event = events.sample("eventbridge", {"detail": '{"a": 1}', "resources": "[]"})
    assert event["detail"] == {"a": 1}
    assert (
        events.sample("sqs", {"Records.0.awsRegion": "eu-west-1"})["Records"][0]["awsRegion"]
        == "eu-west-1"
    )
    assert events.sample("scheduled", {"detail-type": '"quoted"'})["detail-type"] == "quoted"


@pytest.mark.parametrize("name", ["apigateway-rest", "apigateway-http", "function-url", "alb"])
def test_http_body_stays_a_string(name: str) -> None:
    event = events.sample(name, {"body": '{"a":1}'})
    assert event["body"] == '{"a":1}'
    assert events.sample(name, {"body": "42"})["body"] == "42"
    assert events.sample(name, {"body": "plain text"})["body"] == "plain text"
    assert events.sample(name, {"body": "null"})["body"] is None
    event = events.sample(name, {"headers.x-api-key": "123", "queryStringParameters.page": "2"})
    assert event["headers"]["x-api-key"] == "123"
    assert event["queryStringParameters"]["page"] == "2"


def test_queue_and_topic_text_stays_a_string() -> None:
    event = events.sample("sqs", {"Records.1.body": '{"orderId": "7"}'})
    assert event["Records"][1]["body"] == '{"orderId": "7"}'
    event = events.sample("sns", {"Records.0.Sns.Message": "[1, 2]"})
    assert event["Records"][0]["Sns"]["Message"] == "[1, 2]"


def test_new_names_in_maps_and_optional_fields() -> None:
    event = events.sample("apigateway-rest", {"stageVariables.env": "dev"})  # null in the sample
    assert event["stageVariables"] == {"env": "dev"}
    validate("apigateway-rest", event)
    event = events.sample("function-url", {"pathParameters.id": "7", "cookies": '["a=b"]'})
    assert event["pathParameters"] == {"id": "7"}
    assert event["cookies"] == ["a=b"]
    validate("function-url", event)
    event = events.sample("sqs", {"Records.0.messageAttributes.kind": '{"dataType": "String"}'})
    assert event["Records"][0]["messageAttributes"]["kind"] == {"dataType": "String"}
    event = events.sample("eventbridge", {"detail.extra": "true"})
    assert event["detail"]["extra"] is True


@pytest.mark.parametrize(
    ("name", "path", "message"),
    [
        (
            "s3-put",
            "Records.0.s3.objet.key",
            "no Records.0.s3.objet.key in the s3-put event: Records.0.s3 exists and is an "
            "object with keys: bucket, configurationId, object, s3SchemaVersion; "
            "did you mean Records.0.s3.object?",
        ),
        ("s3-put", "Records.1.s3", "Records exists and is a list of 1 item"),
        ("sqs", "Records.x", "Records exists and is a list of 2 items"),
        (
            "s3-put",
            "Records.0.s3.object.key.deeper",
            'Records.0.s3.object.key exists and is "uploads/2026/summer+photo%281%29.jpg", '
            "not an object or list",
        ),
        ("scheduled", "detail_type", "the event is an object with keys:"),
        ("scheduled", "detail_type", "did you mean detail-type?"),
        ("s3-put", "Records.0.s3.object.owner", "Records.0.s3.object exists"),
        ("alb", "requestContext.elb.arn", "requestContext.elb exists"),
    ],
)
def test_a_missing_path_names_the_longest_existing_prefix(
    name: str, path: str, message: str
) -> None:
    with pytest.raises(events.EventError) as info:
        events.sample(name, {path: "x"})
    assert message in str(info.value)


def test_bad_paths_and_sources() -> None:
    with pytest.raises(events.EventError, match="empty name"):
        events.sample("sqs", {"Records..body": "x"})
    with pytest.raises(events.UnknownEventSource) as info:
        events.sample("kafka")
    assert str(info.value) == (
        "unknown event source kafka; `lambdabox event --list` shows the sources"
    )
    with pytest.raises(KeyError):
        events.describe("kafka")
    assert events.parse_assignment("body=a=b") == ("body", "a=b")
    with pytest.raises(events.EventError, match="path=value"):
        events.parse_assignment("no-equals-sign")


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="lambdabox event", description=cli.DESCRIPTION)
    cli.add_arguments(parser)
    return parser.parse_args(argv)


def test_cli_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.run(parse("--list")) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[0] for line in lines] == events.names()
    assert all(len(line.split("\t")) == 2 and line.split("\t")[1] for line in lines)


def test_cli_prints_pretty_or_compact_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.run(parse("sqs")) == 0
    out = capsys.readouterr().out
    assert json.loads(out) == events.sample("sqs")
    assert out == json.dumps(events.sample("sqs"), indent=2) + "\n"
    assert cli.run(parse("sqs", "--compact")) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    assert json.loads(out) == events.sample("sqs")


def test_cli_set(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["s3-put", "--set", "Records.0.s3.object.key=photos/cat.jpg"]
    assert cli.run(parse(*argv, "--set", "Records.0.s3.object.size=7")) == 0
    event = json.loads(capsys.readouterr().out)
    assert event["Records"][0]["s3"]["object"]["key"] == "photos/cat.jpg"
    assert event["Records"][0]["s3"]["object"]["size"] == 7
    assert cli.run(parse("apigateway-http", "--set", 'body={"a":1}')) == 0
    assert json.loads(capsys.readouterr().out)["body"] == '{"a":1}'


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["kafka"], "unknown event source kafka; `lambdabox event --list` shows the sources"),
        (["sqs", "--set", "Records.0.bodee=x"], "did you mean Records.0.body?"),
        (["sqs", "--set", "nonsense"], "--set takes path=value"),
        ([], "name a SOURCE"),
        (["--list", "sqs"], "--list takes no SOURCE"),
    ],
)
def test_cli_usage_errors_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.run(parse(*argv)) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert message in captured.err
    assert captured.err.startswith("lambdabox event: ")


def test_cli_description_documents_the_body_rule() -> None:
    assert 'body={"a":1} gives the string \'{"a":1}\'' in cli.DESCRIPTION
