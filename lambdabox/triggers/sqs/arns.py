"""SQS queue ARNs and URLs: parsing and the names lambdabox gives template queues."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from lambdabox.triggers.sqs.errors import SqsConfigError


@dataclass(frozen=True)
class QueueArn:
    """`arn:aws:sqs:{region}:{account}:{name}`."""

    partition: str
    region: str
    account: str
    name: str

    @property
    def fifo(self) -> bool:
        return self.name.endswith(".fifo")

    def __str__(self) -> str:
        return f"arn:{self.partition}:sqs:{self.region}:{self.account}:{self.name}"


def is_sqs_arn(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("arn:") and value.split(":")[2:3] == ["sqs"]


def parse_arn(value: Any, where: str) -> QueueArn:
    """Parse a queue ARN; SqsConfigError (naming `where`) for anything else."""
    parts = value.split(":") if isinstance(value, str) else []
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "sqs" or not parts[5]:
        hint = " (that is a queue URL: use !GetAtt Queue.Arn)" if _is_url(value) else ""
        raise SqsConfigError(
            f"{where}: {value!r} is not an SQS queue ARN{hint}; write "
            "arn:aws:sqs:REGION:ACCOUNT:QUEUE or !GetAtt MyQueue.Arn"
        )
    return QueueArn(parts[1], parts[3], parts[4], parts[5])


def arn_from_url(url: str, region: str) -> QueueArn:
    """`http(s)://host/{account}/{name}` -> its ARN (for `--sqs URL`)."""
    path = [p for p in urlsplit(url).path.split("/") if p]
    if len(path) != 2:
        raise SqsConfigError(f"{url!r} is not a queue URL (expected http://HOST/ACCOUNT/QUEUE)")
    return QueueArn("aws", region, path[0], path[1])


def _is_url(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(("http://", "https://"))


def queue_name(logical_id: str, properties: dict[str, Any] | Any, stack_name: str) -> str:
    """The name of an `AWS::SQS::Queue`: `QueueName`, else `{stack}-{LogicalId}` (`.fifo`
    added for FIFO queues), the rule the template resolver uses for `!Ref`/`!GetAtt`."""
    name = properties.get("QueueName")
    if isinstance(name, str) and name:
        return name
    fifo = str(properties.get("FifoQueue", "")).lower() == "true"
    return f"{stack_name}-{logical_id}" + (".fifo" if fifo else "")
