"""What lambdabox runs locally, what SAM adds implicitly, and the warning for the rest."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lambdabox.template.model import Resource

NESTED_TYPES = ("AWS::Serverless::Application", "AWS::CloudFormation::Stack")
# Resource types an application (the app and its triggers) runs or reads locally.
RUN_LOCALLY = frozenset(
    {
        "AWS::Serverless::Function",
        "AWS::Lambda::Function",
        "AWS::Serverless::LayerVersion",
        "AWS::Lambda::LayerVersion",
        "AWS::Lambda::EventInvokeConfig",
        "AWS::Lambda::Url",
        "AWS::Lambda::EventSourceMapping",
        "AWS::Serverless::Api",
        "AWS::Serverless::HttpApi",
        "AWS::ApiGateway::RestApi",
        "AWS::ApiGateway::Resource",
        "AWS::ApiGateway::Method",
        "AWS::ApiGatewayV2::Api",
        "AWS::ApiGatewayV2::Route",
        "AWS::ApiGatewayV2::Integration",
        "AWS::ApiGateway::Authorizer",
        "AWS::ApiGatewayV2::Authorizer",
        "AWS::Events::Rule",
        "AWS::Scheduler::Schedule",
        "AWS::SQS::Queue",
        "AWS::Kinesis::Stream",
        "AWS::DynamoDB::Table",
        "AWS::AmazonMQ::Broker",
        *NESTED_TYPES,
    }
)
# Deployment plumbing that has nothing to run and is understood without a word.
SILENT = frozenset(
    {
        "AWS::ApiGateway::Deployment",
        "AWS::ApiGateway::Stage",
        "AWS::ApiGatewayV2::Stage",
        "AWS::ApiGatewayV2::Deployment",
        "AWS::Lambda::Permission",
        "AWS::Lambda::Version",
        "AWS::Lambda::Alias",
        "AWS::CDK::Metadata",
    }
)
EVENT_TYPES = frozenset(
    {"Api", "HttpApi", "Schedule", "ScheduleV2", "SQS", "MQ", "Kinesis", "DynamoDB"}
)


IMPLICIT_APIS = {
    "Api": ("RestApiId", "ServerlessRestApi", "AWS::Serverless::Api", {"StageName": "Prod"}),
    "HttpApi": ("ApiId", "ServerlessHttpApi", "AWS::Serverless::HttpApi", {}),
}


def with_implicit_apis(doc: dict[str, Any]) -> dict[str, Any]:
    """`doc` with the APIs SAM creates for Api/HttpApi events that name none
    (`ServerlessRestApi`, stage Prod; `ServerlessHttpApi`), so `Globals.Api`/`HttpApi`
    (Cors, BinaryMediaTypes, ...) reach them as they do in SAM."""
    resources = doc["Resources"]
    wanted: dict[str, Any] = {}
    for body in resources.values():
        props = body.get("Properties") or {}
        events = props.get("Events") if isinstance(props, dict) else None
        if body.get("Type") != "AWS::Serverless::Function" or not isinstance(events, dict):
            continue
        for event in events.values():
            if not isinstance(event, dict) or event.get("Type") not in IMPLICIT_APIS:
                continue
            prop, logical_id, kind, defaults = IMPLICIT_APIS[event["Type"]]
            if prop not in (event.get("Properties") or {}) and logical_id not in resources:
                wanted[logical_id] = {"Type": kind, "Properties": dict(defaults)}
    return {**doc, "Resources": {**resources, **wanted}} if wanted else doc


def implicit_resources(resources: Mapping[str, Any]) -> dict[str, Any]:
    """Resources SAM generates that templates refer to (FnRole, FnUrl, ServerlessRestApi...)."""
    extra: dict[str, Any] = {}
    for logical_id, body in resources.items():
        if body.get("Type") != "AWS::Serverless::Function":
            continue
        props = body.get("Properties") or {}
        if "Role" not in props:
            extra[f"{logical_id}Role"] = {"Type": "AWS::IAM::Role"}
        if "FunctionUrlConfig" in props:
            target = {"Ref": logical_id}
            extra[f"{logical_id}Url"] = {
                "Type": "AWS::Lambda::Url",
                "Properties": {"TargetFunctionArn": target},
            }
        events = props.get("Events") or {}
        for event in events.values() if isinstance(events, dict) else ():
            kind = event.get("Type") if isinstance(event, dict) else None
            event_props = (event.get("Properties") or {}) if isinstance(event, dict) else {}
            if kind == "Api" and "RestApiId" not in event_props:
                extra["ServerlessRestApi"] = {"Type": "AWS::Serverless::Api"}
            if kind == "HttpApi" and "ApiId" not in event_props:
                extra["ServerlessHttpApi"] = {"Type": "AWS::Serverless::HttpApi"}
    return extra


def warnings_for(resource: Resource) -> list[str]:
    """One line per thing the template asks for that is not run here."""
    where = resource.path
    if resource.type in SILENT:
        return []
    if resource.type not in RUN_LOCALLY:
        return [f"{resource.type} {where}: not run locally (references to it get a stand-in)"]
    lines: list[str] = []
    if resource.type in NESTED_TYPES:
        prop = "Location" if resource.type == "AWS::Serverless::Application" else "TemplateURL"
        location = resource.properties.get(prop)
        if not isinstance(location, str) or "://" in location:
            lines.append(f"{resource.type} {where}: {prop} is not a local template; not run")
    events = resource.properties.get("Events") or {}
    if resource.type == "AWS::Serverless::Function" and isinstance(events, dict):
        for name, event in events.items():
            kind = event.get("Type") if isinstance(event, dict) else None
            if kind not in EVENT_TYPES:
                lines.append(f"{where}: event {name} ({kind}) is not run locally")
    return lines
