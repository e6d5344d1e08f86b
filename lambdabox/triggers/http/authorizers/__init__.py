"""Lambda authorizers of API Gateway, run locally before a route's function.

Holds the authorizers a template declares (`declare.py`: SAM `Auth` of `HttpApi`/`Api`,
`DefaultAuthorizer`, per-event `Auth.Authorizer`), the events an authorizer function receives
(`events.py`), the evaluation of IAM policies against a method ARN (`policy.py`), the
service's answers when a request is refused (`answers.py`) and the gate that invokes the
authorizer with result caching (`gate.py`). JWT, Cognito and IAM authorization cannot be
checked locally: they are reported, never silently skipped.

May import: `lambdabox.triggers.http` modules below it (model, events, matching,
responses, refs, errors), `lambdabox.triggers.ports`, `lambdabox.emulator.pool` and the
standard library.
"""

from __future__ import annotations

from lambdabox.triggers.http.authorizers.declare import ApiAuth, api_auth, route_authorizer
from lambdabox.triggers.http.authorizers.gate import Gate, Granted
from lambdabox.triggers.http.authorizers.model import Authorizer, IdentitySource

__all__ = [
    "ApiAuth",
    "Authorizer",
    "Gate",
    "Granted",
    "IdentitySource",
    "api_auth",
    "route_authorizer",
]
