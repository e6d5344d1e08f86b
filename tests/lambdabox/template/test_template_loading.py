"""Templates read and resolved: every short-form tag, parameters, conditions, mappings,
Globals, AWS::Include, nested stacks and CDK metadata, on real files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lambdabox.template import (
    Endpoints,
    Stack,
    Template,
    TemplateError,
    load_template,
    parse_overrides,
)

EVERY_TAG = """\
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage: {Type: String, Default: dev, AllowedValues: [dev, prod]}
  Names: {Type: CommaDelimitedList, Default: "a,b,c"}
  Size: {Type: Number, Default: 256, MinValue: 128, MaxValue: 10240}
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
  IsDev: !Not [!Condition IsProd]
  Both: !And [!Condition IsDev, !Equals [a, a]]
  Either: !Or [!Condition IsProd, !Equals [x, y]]
Mappings:
  Sizes:
    dev: {Memory: 128}
    prod: {Memory: 1024}
Resources:
  Hello:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.11
      MemorySize: !FindInMap [Sizes, !Ref Stage, Memory]
      Environment:
        Variables:
          REF_QUEUE: !Ref Queue
          QUEUE_ARN: !GetAtt Queue.Arn
          QUEUE_ARN_LONG: {"Fn::GetAtt": [Queue, Arn]}
          OTHER_ARN: !GetAtt Other.Arn
          OTHER_NAME: !Ref Other
          SUB: !Sub "${AWS::Region}/${AWS::AccountId}/${AWS::StackName}/${Stage}/${!Literal}"
          PARTITION: !Sub "${AWS::Partition}"
          SUB_VARS: !Sub ["${A}-${Queue.QueueName}", {A: !Ref Size}]
          JOIN: !Join ["-", !Split [",", "x,y,z"]]
          SELECT: !Select [1, !Ref Names]
          IF_DEV: !If [IsDev, small, big]
          IF_NOVALUE: !If [IsProd, big, !Ref AWS::NoValue]
          BOTH: !If [Both, yes-both, "none"]
          EITHER: !If [Either, yes-either, "none"]
          B64: !Base64 hi
          AZ: !Select [0, !GetAZs ""]
          CIDR: !Select [1, !Cidr ["10.0.0.0/16", 2, 8]]
          IMPORTED: !ImportValue shared-export
          STREAM: !GetAtt Stream.Arn
          TABLE: !Ref Table
          TABLE_STREAM: !GetAtt Table.StreamArn
          DATE: 2012-10-17
  Other:
    Type: AWS::Lambda::Function
    Condition: IsDev
    Properties:
      FunctionName: !Sub "${AWS::StackName}-other"
      Code: src
      Handler: app.handler
      Runtime: python3.11
  ProdOnly:
    Type: AWS::Serverless::Function
    Condition: IsProd
    Properties: {Handler: app.handler, Runtime: python3.11}
  Queue:
    Type: AWS::SQS::Queue
    Properties: {FifoQueue: true}
  Stream:
    Type: AWS::Kinesis::Stream
    Properties: {Name: clicks, ShardCount: 1}
  Table:
    Type: AWS::DynamoDB::Table
    Properties: {TableName: orders}
  Topic:
    Type: AWS::SNS::Topic
Outputs:
  HelloArn:
    Value: !GetAtt Hello.Arn
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def load(path: Path, **overrides: str) -> Template:
    return load_template(
        path,
        overrides=overrides,
        stack=Stack(
            region="eu-west-1",
            account_id="111122223333",
            name="shop",
            imports={"shared-export": "from-shared"},
        ),
        endpoints=Endpoints(sqs="http://127.0.0.1:4566"),
    )


def test_every_short_form_tag_resolves(tmp_path: Path) -> None:
    template = load(write(tmp_path, "template.yaml", EVERY_TAG))
    hello = template.resources["Hello"]
    env = hello.properties["Environment"]["Variables"]
    assert env == {
        "REF_QUEUE": "http://127.0.0.1:4566/111122223333/shop-Queue.fifo",
        "QUEUE_ARN": "arn:aws:sqs:eu-west-1:111122223333:shop-Queue.fifo",
        "QUEUE_ARN_LONG": "arn:aws:sqs:eu-west-1:111122223333:shop-Queue.fifo",
        "OTHER_ARN": "arn:aws:lambda:eu-west-1:111122223333:function:shop-other",
        "OTHER_NAME": "shop-other",
        "SUB": "eu-west-1/111122223333/shop/dev/${Literal}",
        "PARTITION": "aws",
        "SUB_VARS": "256-shop-Queue.fifo",
        "JOIN": "x-y-z",
        "SELECT": "b",
        "IF_DEV": "small",
        "BOTH": "yes-both",
        "EITHER": "none",
        "B64": "aGk=",
        "AZ": "eu-west-1a",
        "CIDR": "10.0.1.0/24",
        "IMPORTED": "from-shared",
        "STREAM": "arn:aws:kinesis:eu-west-1:111122223333:stream/clicks",
        "TABLE": "orders",
        "TABLE_STREAM": env["TABLE_STREAM"],
        "DATE": "2012-10-17",
    }
    assert env["TABLE_STREAM"].startswith(
        "arn:aws:dynamodb:eu-west-1:111122223333:table/orders/stream/"
    )
    assert hello.properties["MemorySize"] == 128
    assert hello.properties["CodeUri"] == str(tmp_path / "src")
    assert template.resources["Other"].properties["Code"] == str(tmp_path / "src")
    assert "ProdOnly" not in template.resources
    assert template.names["Hello"] == "Hello"
    assert template.function_arn("Other").endswith(":function:shop-other")
    assert template.outputs == {"HelloArn": "arn:aws:lambda:eu-west-1:111122223333:function:Hello"}
    assert template.parameters == {"Stage": "dev", "Names": "a,b,c", "Size": "256"}
    warnings = "\n".join(template.warnings)
    assert "AWS::SNS::Topic Topic: not run locally" in warnings


def test_parameter_overrides_switch_conditions_and_mappings(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "template.yaml",
        EVERY_TAG.replace("OTHER_ARN: !GetAtt Other.Arn", "").replace("OTHER_NAME: !Ref Other", ""),
    )
    template = load(path, Stage="prod", Names="p,q")
    env = template.resources["Hello"].properties["Environment"]["Variables"]
    assert env["IF_DEV"] == "big"
    assert env["IF_NOVALUE"] == "big"
    assert env["SELECT"] == "q"
    assert template.resources["Hello"].properties["MemorySize"] == 1024
    assert "Other" not in template.resources
    assert "ProdOnly" in template.resources


def test_override_forms() -> None:
    assert parse_overrides(["A=1", "B=x=y"]) == {"A": "1", "B": "x=y"}
    sam = "ParameterKey=Stage,ParameterValue=prod ParameterKey=Size,ParameterValue=512"
    assert parse_overrides([sam]) == {"Stage": "prod", "Size": "512"}


def test_json_template_and_globals(tmp_path: Path) -> None:
    doc = {
        "Transform": "AWS::Serverless-2016-10-31",
        "Globals": {
            "Function": {
                "Runtime": "python3.12",
                "Timeout": 7,
                "Environment": {"Variables": {"SHARED": "g", "BOTH": "global"}},
                "Layers": [{"Ref": "Libs"}],
            },
            "HttpApi": {"CorsConfiguration": {"AllowOrigins": ["*"]}},
            "Api": {"BinaryMediaTypes": ["image~1png"]},
        },
        "Resources": {
            "A": {
                "Type": "AWS::Serverless::Function",
                "Properties": {
                    "Handler": "a.handler",
                    "Timeout": 3,
                    "Environment": {"Variables": {"BOTH": "local"}},
                    "Layers": [{"Ref": "More"}],
                },
            },
            "B": {
                "Type": "AWS::Serverless::Function",
                "IgnoreGlobals": "*",
                "Properties": {"Handler": "b.handler", "Runtime": "python3.11"},
            },
            "Libs": {"Type": "AWS::Serverless::LayerVersion", "Properties": {"ContentUri": "libs"}},
            "More": {"Type": "AWS::Serverless::LayerVersion", "Properties": {"ContentUri": "more"}},
            "Http": {"Type": "AWS::Serverless::HttpApi"},
            "Rest": {"Type": "AWS::Serverless::Api", "Properties": {"StageName": "Prod"}},
        },
    }
    template = load(write(tmp_path, "template.json", json.dumps(doc)))
    a = template.resources["A"].properties
    assert a["Runtime"] == "python3.12"
    assert a["Timeout"] == 3
    assert a["Environment"]["Variables"] == {"SHARED": "g", "BOTH": "local"}
    layer = "arn:aws:lambda:eu-west-1:111122223333:layer:shop-{}:1"
    assert a["Layers"] == [layer.format("Libs"), layer.format("More")]
    assert template.resources["B"].properties == {
        "Handler": "b.handler",
        "Runtime": "python3.11",
        "CodeUri": str(tmp_path),
    }
    assert template.resources["Libs"].properties["ContentUri"] == str(tmp_path / "libs")
    assert template.resources["Http"].properties["CorsConfiguration"] == {"AllowOrigins": ["*"]}
    assert template.resources["Rest"].properties["BinaryMediaTypes"] == ["image~1png"]


def test_aws_include_of_a_local_file(tmp_path: Path) -> None:
    write(tmp_path, "api/openapi.yaml", "openapi: '3.0.1'\npaths:\n  /hi:\n    get: {}\n")
    template = load(
        write(
            tmp_path,
            "template.yaml",
            """\
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      DefinitionBody:
        Fn::Transform:
          Name: AWS::Include
          Parameters: {Location: api/openapi.yaml}
""",
        )
    )
    assert template.resources["Api"].properties["DefinitionBody"] == {
        "openapi": "3.0.1",
        "paths": {"/hi": {"get": {}}},
    }


def test_nested_application_and_stack(tmp_path: Path) -> None:
    write(
        tmp_path,
        "child/template.yaml",
        """\
Parameters:
  Greeting: {Type: String}
Resources:
  Inner:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: code
      Handler: app.handler
      Runtime: python3.11
      Environment: {Variables: {GREETING: !Ref Greeting}}
Outputs:
  InnerArn: {Value: !GetAtt Inner.Arn}
""",
    )
    write(tmp_path, "other.yaml", "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n")
    template = load(
        write(
            tmp_path,
            "template.yaml",
            """\
Resources:
  Child:
    Type: AWS::Serverless::Application
    Properties:
      Location: child/template.yaml
      Parameters: {Greeting: hello}
  Raw:
    Type: AWS::CloudFormation::Stack
    Properties: {TemplateURL: ./other.yaml}
  Root:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.11
      Environment: {Variables: {INNER: !GetAtt Child.Outputs.InnerArn}}
""",
        )
    )
    inner = template.resources["Child.Inner"]
    assert inner.stack == ("Child",)
    assert inner.properties["CodeUri"] == str(tmp_path / "child" / "code")
    assert inner.properties["Environment"]["Variables"] == {"GREETING": "hello"}
    assert template.names["Child.Inner"] == "Child-Inner"
    root_env = template.resources["Root"].properties["Environment"]["Variables"]
    assert root_env == {"INNER": "arn:aws:lambda:eu-west-1:111122223333:function:Child-Inner"}
    assert template.resources["Raw.Q"].stack == ("Raw",)
    assert template.names["Raw.Q"] == "shop-Raw-Q"


def test_cdk_asset_metadata(tmp_path: Path) -> None:
    (tmp_path / "asset.1234").mkdir()
    template = load(
        write(
            tmp_path,
            "Stack.template.json",
            json.dumps(
                {
                    "Resources": {
                        "Fn9270CBC0": {
                            "Type": "AWS::Lambda::Function",
                            "Properties": {
                                "Code": {"S3Bucket": "cdk-bucket", "S3Key": "1234.zip"},
                                "Handler": "index.handler",
                                "Runtime": "python3.11",
                            },
                            "Metadata": {
                                "aws:asset:path": "asset.1234",
                                "aws:asset:property": "Code",
                            },
                        },
                        "CDKMetadata": {
                            "Type": "AWS::CDK::Metadata",
                            "Properties": {"Analytics": "v2"},
                        },
                    }
                }
            ),
        )
    )
    fn = template.resources["Fn9270CBC0"]
    assert fn.properties["Code"] == str(tmp_path / "asset.1234")
    assert template.warnings == ()


MALFORMED = {
    "bad yaml": ("Resources:\n  A: [\n", "not valid YAML (line 3"),
    "no resources": ("AWSTemplateFormatVersion: '2010-09-09'\n", "has no Resources section"),
    "resource without type": (
        "Resources:\n  A: {Properties: {}}\n",
        "Resources.A: a resource must",
    ),
    "unknown ref": (
        "Resources:\n  A:\n    Type: AWS::SQS::Queue\n    Properties: {QueueName: !Ref Nope}\n",
        "Resources.A.Properties.QueueName: 'Nope' is not a parameter",
    ),
    "join wrong type": (
        "Resources:\n  A:\n    Type: AWS::SQS::Queue\n    Properties: {QueueName: !Join x}\n",
        "Resources.A.Properties.QueueName: !Join takes a list of 2",
    ),
    "unknown attribute": (
        "Resources:\n  F:\n    Type: AWS::Serverless::Function\n"
        "  Q:\n    Type: AWS::SQS::Queue\n    Properties: {QueueName: !GetAtt F.Nope}\n",
        "has no attribute 'Nope'",
    ),
    "unknown condition": (
        "Resources:\n  A:\n    Type: AWS::SQS::Queue\n    Condition: Missing\n",
        "unknown condition 'Missing'",
    ),
    "missing mapping key": (
        "Mappings: {M: {a: {b: c}}}\nResources:\n  A:\n    Type: AWS::SQS::Queue\n"
        "    Properties: {QueueName: !FindInMap [M, z, b]}\n",
        "no top-level key 'z'",
    ),
    "parameter without default": (
        "Parameters: {P: {Type: String}}\nResources:\n  A:\n    Type: AWS::SQS::Queue\n",
        "Parameters.P: has no Default and no value was given; pass --parameter-overrides P=VALUE",
    ),
    "disallowed value": (
        "Parameters: {P: {Type: String, Default: x, AllowedValues: [a, b]}}\n"
        "Resources:\n  A:\n    Type: AWS::SQS::Queue\n",
        "Parameters.P: 'x' is not one of its AllowedValues",
    ),
    "missing include": (
        "Resources:\n  A:\n    Type: AWS::Serverless::Api\n    Properties:\n      DefinitionBody:\n"
        "        Fn::Transform: {Name: AWS::Include, Parameters: {Location: nope.yaml}}\n",
        "nope.yaml: no such file",
    ),
    "bad globals": (
        "Globals: {Function: {Nope: 1}}\nResources:\n  A:\n    Type: AWS::Serverless::Function\n",
        "Globals: ",
    ),
    "reference to a resource not created": (
        "Conditions: {Never: !Equals [a, b]}\nResources:\n  Q:\n    Type: AWS::SQS::Queue\n"
        "    Condition: Never\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        "      Environment: {Variables: {Q: !Ref Q}}\n",
        "Resources.F.Properties.Environment.Variables.Q: Q is not created (its Condition Never "
        "is false); refer to it inside !If [Never, ..., !Ref AWS::NoValue]",
    ),
    "language extensions": (
        "Transform: AWS::LanguageExtensions\nResources:\n  Fn::ForEach::Topics:\n"
        "    - T\n    - [a, b]\n    - Topic${T}:\n        Type: AWS::SNS::Topic\n",
        "Fn::ForEach (the AWS::LanguageExtensions transform) is not expanded locally",
    ),
    "duplicate function names": (
        "Resources:\n  A:\n    Type: AWS::Lambda::Function\n    Properties: {FunctionName: f}\n"
        "  B:\n    Type: AWS::Lambda::Function\n    Properties: {FunctionName: f}\n",
        "share the name 'f'",
    ),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_template_gives_one_clear_error(tmp_path: Path, case: str) -> None:
    text, expected = MALFORMED[case]
    with pytest.raises(TemplateError) as caught:
        load(write(tmp_path, "template.yaml", text))
    assert expected in str(caught.value)
    assert "Traceback" not in str(caught.value)


def test_ssm_parameter_types_are_named_in_a_warning(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "template.yaml",
        "Parameters:\n  Ami: {Type: 'AWS::SSM::Parameter::Value<String>', Default: /app/ami}\n"
        "Resources:\n  A:\n    Type: AWS::SQS::Queue\n    Properties: {QueueName: !Ref Ami}\n",
    )
    template = load(path)
    assert template.names["A"] == "/app/ami"
    assert template.warnings == (
        "Parameters.Ami: AWS::SSM::Parameter::Value<String> is read from SSM Parameter Store "
        "in the cloud; here its value is the parameter's name '/app/ami' "
        "(pass --parameter-overrides Ami=VALUE)",
    )
    assert load(path, Ami="ami-1").warnings == ()


def test_unknown_override_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "template.yaml", "Resources:\n  A:\n    Type: AWS::SQS::Queue\n")
    with pytest.raises(TemplateError, match="declares no parameter Nope"):
        load(path, Nope="1")


def test_api_references_resolve_to_logical_ids_the_http_front_knows(tmp_path: Path) -> None:
    template = load(
        write(
            tmp_path,
            "template.yaml",
            "Resources:\n"
            "  Raw: {Type: AWS::ApiGateway::RestApi}\n"
            "  V2: {Type: AWS::ApiGatewayV2::Api}\n"
            "  V2Int: {Type: AWS::ApiGatewayV2::Integration, Properties: {ApiId: !Ref V2}}\n"
            "  Route:\n    Type: AWS::ApiGatewayV2::Route\n    Properties:\n"
            "      ApiId: !Ref V2\n      Target: !Sub integrations/${V2Int}\n"
            "  Res:\n    Type: AWS::ApiGateway::Resource\n    Properties:\n"
            "      RestApiId: !Ref Raw\n      ParentId: !GetAtt Raw.RootResourceId\n"
            "  Http: {Type: AWS::Serverless::HttpApi}\n"
            "  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n"
            "      Tags: [{Key: url, Value: !GetAtt Http.ApiEndpoint}]\n",
        )
    )
    assert template.resources["Route"].properties == {"ApiId": "V2", "Target": "integrations/V2Int"}
    assert template.resources["Res"].properties == {
        "RestApiId": "Raw",
        "ParentId": "Raw.RootResourceId",
    }
    tags = template.resources["Q"].properties["Tags"]
    assert tags == [{"Key": "url", "Value": "http://127.0.0.1:3000"}]


def test_implicit_apis_exist_with_their_globals(tmp_path: Path) -> None:
    template = load(
        write(
            tmp_path,
            "template.yaml",
            "Globals:\n"
            "  Api: {Cors: \"'*'\", BinaryMediaTypes: [image~1png]}\n"
            "  HttpApi: {CorsConfiguration: {AllowOrigins: ['*']}}\n"
            "Resources:\n"
            "  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n"
            "      Handler: app.handler\n      Runtime: python3.11\n      Events:\n"
            "        R: {Type: Api, Properties: {Path: /r, Method: get}}\n"
            "        H: {Type: HttpApi, Properties: {Path: /h, Method: get}}\n"
            "  Named: {Type: AWS::Serverless::HttpApi}\n"
            "  Other:\n    Type: AWS::Serverless::Function\n    Properties:\n"
            "      Handler: app.handler\n      Runtime: python3.11\n      Events:\n"
            "        N: {Type: HttpApi, Properties: {ApiId: !Ref Named}}\n",
        )
    )
    rest = template.resources["ServerlessRestApi"]
    assert rest.type == "AWS::Serverless::Api"
    assert rest.properties == {
        "StageName": "Prod",
        "Cors": "'*'",
        "BinaryMediaTypes": ["image~1png"],
    }
    http = template.resources["ServerlessHttpApi"]
    assert http.properties == {"CorsConfiguration": {"AllowOrigins": ["*"]}}
    assert template.resources["Named"].properties == {"CorsConfiguration": {"AllowOrigins": ["*"]}}
    events = template.resources["Other"].properties["Events"]
    assert events["N"]["Properties"] == {"ApiId": "Named"}
