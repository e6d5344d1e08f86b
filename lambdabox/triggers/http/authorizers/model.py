"""An authorizer as a route uses it: its function, payload, identity sources and caching."""

from __future__ import annotations

from dataclasses import dataclass

TOKEN = "TOKEN"  # REST: the token from one header
REQUEST = "REQUEST"  # REST and HTTP APIs: parts of the request

DEFAULT_TTL_S = 300  # authorizerResultTtlInSeconds when not set (API Gateway reference)


@dataclass(frozen=True)
class IdentitySource:
    """One identity source: `$request.header.Authorization` is `IdentitySource("header",
    "Authorization")`; kinds are header, query, stage (stage variable) and context."""

    kind: str
    name: str

    @property
    def expression(self) -> str:
        """The expression as an HTTP API writes it."""
        prefix = {
            "header": "$request.header.",
            "query": "$request.querystring.",
            "stage": "$stageVariables.",
            "context": "$context.",
        }[self.kind]
        return prefix + self.name


@dataclass(frozen=True)
class Authorizer:
    """A Lambda authorizer of one API (`function` None: its function is not run here)."""

    name: str  # the key under Auth.Authorizers
    api: str  # the API's resource path
    api_kind: str  # model.HTTP_API or model.REST_API
    function: str | None  # the authorizer function's logical id (path)
    function_ref: str  # what FunctionArn said, for messages
    payload_type: str = TOKEN  # REST: TOKEN or REQUEST; HTTP APIs: REQUEST
    payload_version: str = "1.0"  # HTTP APIs: "1.0" or "2.0"; REST: "1.0"
    simple_responses: bool = False  # HTTP API 2.0: {"isAuthorized": ..., "context": ...}
    identity: tuple[IdentitySource, ...] = ()
    ttl_s: int = DEFAULT_TTL_S
    validation: str | None = None  # REST TOKEN: a regular expression the token must match

    @property
    def caches(self) -> bool:
        """Results are cached (keyed by the identity sources) when the TTL is above 0 and
        there is something to key on."""
        return self.ttl_s > 0 and bool(self.identity)
