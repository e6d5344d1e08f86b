"""What `lambdabox up` prints once everything runs: functions, triggers, addresses.

One line per function and per trigger (from each trigger's `describe()`); with `--json`
the same as one JSON document (`document()`), printed on stdout.
"""

from __future__ import annotations

from typing import Any

from lambdabox.app.application import Application
from lambdabox.app.launch import environments


def document(app: Application) -> dict[str, Any]:
    """The listing as a JSON-ready document."""
    assert app.router is not None
    assert app.functions is not None
    base = app.router.url
    functions = []
    for spec in app.specs:
        functions.append(
            {
                "logicalId": spec.path,
                "name": spec.name,
                "arn": spec.arn,
                "runtime": spec.runtime or "image",
                "handler": spec.handler,
                "mode": app.mode,
                "environments": environments(spec, app.functions.settings),
                "invokeUrl": f"{base}/2015-03-31/functions/{spec.name}/invocations",
            }
        )
    triggers = [
        {
            "kind": line.kind,
            "function": line.function,
            "text": line.text,
            "detail": dict(line.detail),
        }
        for trigger in app.triggers
        for line in trigger.describe()
    ]
    return {
        "template": str(app.config.template),
        "mode": app.mode,
        "invokeApi": base,
        "httpPort": app.config.http_port,
        "awsEndpoint": app.endpoint,
        "functions": functions,
        "triggers": triggers,
        "outputs": dict(app.template.outputs) if app.template is not None else {},
        "warnings": list(app.warnings),
    }


def lines(doc: dict[str, Any]) -> list[str]:
    """The listing as text lines."""
    out = [f"Invoke API for all functions: {doc['invokeApi']} ({doc['mode']} mode)"]
    width = max((len(f["logicalId"]) for f in doc["functions"]), default=0)
    for fn in doc["functions"]:
        named = f" (FunctionName {fn['name']})" if fn["name"] != fn["logicalId"] else ""
        out.append(
            f"  function {fn['logicalId']:<{width}}  {fn['runtime']} {fn['handler']}"
            f"  x{fn['environments']}{named}"
        )
    for trigger in doc["triggers"]:
        out.append(f"  {trigger['kind']:<8} {trigger['text']}")
    if doc["awsEndpoint"]:
        out.append(f"  AWS endpoint (SQS, Kinesis, DynamoDB): {doc['awsEndpoint']}")
    return out
