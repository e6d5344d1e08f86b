"""IAM policy documents returned by authorizers, evaluated against a method ARN.

A statement applies when its `Action` covers `execute-api:Invoke` and one of its `Resource`
patterns matches the ARN (`*` any run of characters, `?` one character, case-sensitive). An
applying `Deny` wins over any `Allow`; with no applying `Allow` the request is refused.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

ALLOW = "allow"
DENY = "deny"  # an explicit Deny applies
NO_ALLOW = "no_allow"  # no statement allows it


class PolicyError(ValueError):
    """The policy document is not one API Gateway accepts."""


@functools.lru_cache(maxsize=256)
def _pattern(glob: str) -> re.Pattern[str]:
    parts = [".*" if c == "*" else "." if c == "?" else re.escape(c) for c in glob]
    return re.compile("".join(parts), re.DOTALL)


def _strings(value: Any, what: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise PolicyError(f"{what} is {value!r}, not a string or a list of strings")


def _covers_invoke(actions: list[str]) -> bool:
    return any(_pattern(a.lower()).fullmatch("execute-api:invoke") for a in actions)


def statements(document: Any) -> list[Mapping[str, Any]]:
    """The statements of a policy document; PolicyError when it is malformed."""
    if not isinstance(document, Mapping):
        raise PolicyError("policyDocument is not an object")
    found = document.get("Statement")
    if isinstance(found, Mapping):
        found = [found]
    if not isinstance(found, list) or not all(isinstance(s, Mapping) for s in found):
        raise PolicyError("policyDocument.Statement is not a list of statements")
    for statement in found:
        effect = statement.get("Effect")
        if effect not in ("Allow", "Deny"):
            raise PolicyError(f"Effect is {effect!r}, not Allow or Deny")
        _strings(statement.get("Action"), "Action")
        _strings(statement.get("Resource"), "Resource")
    return found


def evaluate(document: Any, arn: str) -> str:
    """ALLOW, DENY or NO_ALLOW for a request to `arn`."""
    allowed = False
    for statement in statements(document):
        if not _covers_invoke(_strings(statement.get("Action"), "Action")):
            continue
        resources = _strings(statement.get("Resource"), "Resource")
        if not any(_pattern(r).fullmatch(arn) for r in resources):
            continue
        if statement["Effect"] == "Deny":
            return DENY
        allowed = True
    return ALLOW if allowed else NO_ALLOW
