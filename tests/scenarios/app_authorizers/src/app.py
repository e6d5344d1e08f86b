"""The guarded function: answers with what the authorizer passed on."""

import json


def handler(event, context):
    request = event["requestContext"]
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps({"authorizer": request.get("authorizer"), "path": event.get("path")}),
    }
