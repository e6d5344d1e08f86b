import logging
import sys

logger = logging.getLogger("scenario")
logger.warning("at import")


def handler(event, context):
    logger.info("info %s", event["n"])
    logger.debug("debug line")
    logger.error("structured", extra={"customer": "c-1"})
    print("printed line")
    print("to stderr", file=sys.stderr)
    try:
        raise KeyError("k")
    except KeyError:
        logger.exception("caught")
    return "logged"
