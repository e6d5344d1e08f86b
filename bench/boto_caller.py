"""A boto3 caller, run by the aws-sam-cli bench venv's Python (boto3 comes with SAM):
`python boto_caller.py URL COUNT` invokes `function` COUNT times in sequence after a few
warm-up calls and prints one JSON line: {"per_s": ..., "p50_ms": ...}.

Standard library and boto3 only: it is run as a script, outside this repository's venv.
"""

from __future__ import annotations

import json
import statistics
import sys
import time


def main(url: str, count: int, function: str = "function") -> dict[str, float]:
    import boto3  # type: ignore[import-untyped,import-not-found,unused-ignore]
    from botocore.config import Config  # type: ignore[import-untyped,import-not-found,unused-ignore]

    client = boto3.client(
        "lambda",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
        config=Config(retries={"max_attempts": 1}, read_timeout=60),
    )
    payload = b'{"data":"' + b"x" * 89 + b'"}'
    for _ in range(5):
        client.invoke(FunctionName=function, Payload=payload)
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        answer = client.invoke(FunctionName=function, Payload=payload)
        answer["Payload"].read()
        samples.append((time.perf_counter() - started) * 1000)
    return {"per_s": 1000 * len(samples) / sum(samples), "p50_ms": statistics.median(samples)}


if __name__ == "__main__":
    name = sys.argv[3] if len(sys.argv) > 3 else "function"
    print(json.dumps(main(sys.argv[1], int(sys.argv[2]), name)))
