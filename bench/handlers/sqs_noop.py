"""Handlers of the SQS mapping benchmarks."""

import os
import time


def noop(event, context):
    return None


def stamp(event, context):
    """Append "sent_at started_at" per record ($SQS_BENCH_LOG); bodies hold the send time."""
    started = time.time()
    with open(os.environ["SQS_BENCH_LOG"], "a") as f:
        for record in event["Records"]:
            f.write(f"{record['body']} {started}\n")
    return None
