import os

COUNT = {"n": 0}


def handler(event, context):
    COUNT["n"] += 1
    if isinstance(event, dict) and event.get("size"):
        return "x" * event["size"]
    return {"event": event, "count": COUNT["n"], "pid": os.getpid()}


def length(event, context):
    return {"length": len(event["data"])}


def trace(event, context):
    return {"trace": os.environ.get("_X_AMZN_TRACE_ID")}
