"""A sample function behind an HTTP API: greets the caller, using a dependency (dateutil)."""

import json
import logging

from dateutil import parser as dates

logger = logging.getLogger(__name__)


def handler(event, context):
    query = event.get("queryStringParameters") or {}
    name = query.get("name") or event.get("name") or "world"
    when = event.get("requestContext", {}).get("time")
    day = dates.parse(when.replace(":", " ", 1)).strftime("%A") if when else None
    logger.warning("greeting %s", name)
    body = {"message": f"Hello, {name}!", "day": day, "request_id": context.aws_request_id}
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "body": json.dumps(body),
    }
