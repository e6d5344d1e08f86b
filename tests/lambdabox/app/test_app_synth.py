"""`lambdabox up` without a template: the one-function template made from the flags goes
through the same loader as a file (queues by name, URL or ARN; schedules; an image)."""

from __future__ import annotations

import sys
from pathlib import Path

from lambdabox.app.sources import needs_endpoint
from lambdabox.app.synth import synthesise
from lambdabox.template import load_template


def test_handler_flags_make_a_python_function_with_its_events(tmp_path: Path) -> None:
    doc = synthesise(
        handler="app.handler",
        image=None,
        code=tmp_path,
        schedules=["rate(5 minutes)", "cron(0 2 * * ? *)"],
        queues=["jobs", "https://sqs.eu-west-1.amazonaws.com/111122223333/ext", "arn:aws:sqs:x"],
    )
    template = load_template(tmp_path / "(flags)", document=doc)
    fn = template.resources["Function"]
    here = f"python{sys.version_info.major}.{sys.version_info.minor}"
    assert (fn.properties["Handler"], fn.properties["Runtime"]) == ("app.handler", here)
    assert fn.properties["CodeUri"] == str(tmp_path)
    events = fn.properties["Events"]
    assert events["Http"] == {"Type": "HttpApi"}
    assert events["Schedule1"]["Properties"] == {"Schedule": "rate(5 minutes)"}
    assert events["Schedule2"]["Properties"] == {"Schedule": "cron(0 2 * * ? *)"}
    queues = [events[f"Queue{i}Event"]["Properties"]["Queue"] for i in (1, 2, 3)]
    assert queues == [
        "arn:aws:sqs:us-east-1:123456789012:jobs",
        "arn:aws:sqs:us-east-1:111122223333:ext",
        "arn:aws:sqs:x",
    ]
    assert template.resources["Queue1"].properties == {"QueueName": "jobs"}
    assert needs_endpoint(doc, tmp_path)


def test_image_flag_makes_an_image_function(tmp_path: Path) -> None:
    doc = synthesise(handler="app.handler", image="fn:dev", code=tmp_path)
    fn = load_template(tmp_path / "(flags)", document=doc).resources["Function"]
    assert fn.properties["PackageType"] == "Image"
    assert fn.properties["ImageUri"] == "fn:dev"
    assert fn.properties["ImageConfig"] == {"Command": ["app.handler"]}
    assert not needs_endpoint(doc, tmp_path)


def test_nested_templates_with_queues_need_the_endpoint(tmp_path: Path) -> None:
    (tmp_path / "child.yaml").write_text("Resources:\n  Q: {Type: AWS::SQS::Queue}\n")
    doc = {
        "Resources": {
            "Child": {
                "Type": "AWS::CloudFormation::Stack",
                "Properties": {"TemplateURL": "child.yaml"},
            }
        }
    }
    assert needs_endpoint(doc, tmp_path)
