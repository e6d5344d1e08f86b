"""IAM policy evaluation of authorizer answers (a pure unit: statements against ARNs)."""

from __future__ import annotations

from typing import Any

import pytest

from lambdabox.triggers.http.authorizers.policy import (
    ALLOW,
    DENY,
    NO_ALLOW,
    PolicyError,
    evaluate,
)

ARN = "arn:aws:execute-api:us-east-1:123456789012:abc123/Prod/GET/pets/7"


def _doc(*statements: tuple[str, Any, Any]) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": e, "Action": a, "Resource": r} for e, a, r in statements],
    }


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (_doc(("Allow", "execute-api:Invoke", ARN)), ALLOW),
        (_doc(("Allow", "execute-api:*", "arn:aws:execute-api:*:*:abc123/*/GET/*")), ALLOW),
        (_doc(("Allow", ["*"], ["arn:aws:execute-api:us-east-1:123456789012:abc123/*"])), ALLOW),
        (_doc(("Allow", "execute-api:Invoke", ARN[:-1] + "?")), ALLOW),
        (_doc(("Allow", "execute-api:Invoke", "*/POST/*")), NO_ALLOW),
        (_doc(("Allow", "execute-api:Invoke", ARN.upper())), NO_ALLOW),  # case-sensitive
        (_doc(("Allow", "s3:GetObject", ARN)), NO_ALLOW),
        (_doc(("Allow", "execute-api:Invoke", "*"), ("Deny", "execute-api:Invoke", ARN)), DENY),
        (
            {"Statement": {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": ARN}},
            ALLOW,
        ),
        (_doc(), NO_ALLOW),
    ],
)
def test_evaluate(document: dict[str, Any], expected: str) -> None:
    assert evaluate(document, ARN) == expected


@pytest.mark.parametrize(
    "document",
    [None, {"Statement": "x"}, _doc(("Maybe", "execute-api:Invoke", ARN)), _doc(("Allow", 3, ARN))],
)
def test_malformed_policies(document: Any) -> None:
    with pytest.raises(PolicyError):
        evaluate(document, ARN)
