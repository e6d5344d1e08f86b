import logging
import os

logger = logging.getLogger()


def handler(event, context):
    logger.warning("framed warning")
    context.log("context line")
    print("printed to stdout")
    if event.get("fail"):
        raise RuntimeError("framed failure")
    return {"fd_var": os.environ.get("_LAMBDA_TELEMETRY_LOG_FD")}
