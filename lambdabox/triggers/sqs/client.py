"""A boto3 SQS client for an endpoint, and the queue URL behind a queue ARN.

boto3 blocks; the mapping calls it from worker threads (`asyncio.to_thread`-style, on an
executor of its own), never on the event loop. Credentials are boto3's usual chain; against
a loopback endpoint (moto, ElasticMQ, LocalStack) with no credentials configured, fixed test
credentials are used, since those services accept any.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from lambdabox.triggers.sqs.arns import QueueArn
from lambdabox.triggers.sqs.errors import SqsEndpointError

SQSClient = Any  # boto3 ships no types

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _import_boto3() -> Any:
    try:
        import boto3
    except ImportError:  # pragma: no cover - boto3 is a declared dependency
        raise SqsEndpointError("boto3 is missing: pip install boto3 (lambdabox needs it)") from None
    return boto3


def sqs_client(endpoint: str | None, region: str, pool: int = 10) -> SQSClient:
    """A client for `endpoint` (None: AWS itself), with `pool` HTTP connections."""
    boto3 = _import_boto3()
    from botocore.config import Config

    session = boto3.session.Session(region_name=region)
    creds: dict[str, str] = {}
    host = urlsplit(endpoint).hostname if endpoint else None
    if host in LOOPBACK and session.get_credentials() is None:
        creds = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}
    config = Config(
        max_pool_connections=pool,
        retries={"max_attempts": 3, "mode": "standard"},
        read_timeout=70,
        connect_timeout=5,
    )
    return session.client("sqs", endpoint_url=endpoint, config=config, **creds)


def queue_url(client: SQSClient, arn: QueueArn) -> str:
    """GetQueueUrl of the queue named by `arn`; SqsEndpointError names the fix."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        answer = client.get_queue_url(QueueName=arn.name, QueueOwnerAWSAccountId=arn.account)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if "NonExistentQueue" in code or code == "QueueDoesNotExist":
            raise SqsEndpointError(
                f"queue {arn} does not exist on {client.meta.endpoint_url}: declare it as an "
                "AWS::SQS::Queue in the template or create it there"
            ) from None
        raise SqsEndpointError(f"GetQueueUrl {arn} on {client.meta.endpoint_url}: {exc}") from None
    except BotoCoreError as exc:
        raise SqsEndpointError(
            f"SQS endpoint {client.meta.endpoint_url} unreachable ({exc}); start it or give "
            "--sqs-endpoint URL"
        ) from None
    return str(answer["QueueUrl"])
