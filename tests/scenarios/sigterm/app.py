import os
import signal
import sys

MARKER = os.environ["SIGTERM_MARKER"]


def _on_term(signum, frame):
    with open(MARKER, "w") as f:
        f.write("graceful shutdown")
    sys.exit(0)


signal.signal(signal.SIGTERM, _on_term)


def handler(event, context):
    return "ready"
