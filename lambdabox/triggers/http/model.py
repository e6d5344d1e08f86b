"""What the HTTP front serves, read from the template: APIs, their routes, function URLs."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lambdabox.triggers.http.authorizers.model import Authorizer

HTTP_API = "http"  # API Gateway HTTP API (payload 2.0 or 1.0)
REST_API = "rest"  # API Gateway REST API (payload 1.0)
FUNCTION_URL = "url"  # Lambda function URL (payload 2.0)

DEFAULT_ROUTE = "$default"
HTTP_API_TIMEOUT_S = 30.0
REST_API_TIMEOUT_S = 29.0
METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")


@dataclass(frozen=True)
class Cors:
    """A CORS configuration as API Gateway (or a function URL) applies it."""

    allow_origins: tuple[str, ...] = ()
    allow_methods: tuple[str, ...] = ()
    allow_headers: tuple[str, ...] = ()
    expose_headers: tuple[str, ...] = ()
    max_age: int | None = None
    allow_credentials: bool = False


@dataclass(frozen=True)
class Api:
    """One API (or one function URL's endpoint) and the settings its requests are mapped with."""

    kind: str  # HTTP_API, REST_API or FUNCTION_URL
    name: str  # the resource's path ("MyApi", "ServerlessHttpApi", "Nested.MyApi")
    api_id: str  # the id the service would give it (10 chars; 32 for function URLs)
    stage: str = "$default"
    stage_variables: Mapping[str, str] = field(default_factory=dict)
    binary_media_types: tuple[str, ...] = ()  # REST only: "image/png", "*/*"
    cors: Cors | None = None
    stack: tuple[str, ...] = ()


@dataclass(frozen=True)
class Route:
    """One route of an API: `GET /items/{id}` (or `$default`) to a function."""

    api: Api
    method: str  # "GET", ..., or "ANY"
    path: str  # "/items/{id}", "/{proxy+}", or "$default"
    function: str  # the function's logical id (Resource.path)
    payload: str = "2.0"  # "2.0" or "1.0"
    source: str = ""  # where it was declared, for messages
    # The integration timeout: the API answers on its own when the function takes longer
    # (HTTP API 30 s at most, REST 29 s by default; `TimeoutInMillis` lowers it).
    timeout_s: float | None = None
    # The Lambda authorizer run before the function (None: the route is not guarded here).
    authorizer: Authorizer | None = None

    @property
    def route_key(self) -> str:
        return DEFAULT_ROUTE if self.path == DEFAULT_ROUTE else f"{self.method} {self.path}"


@dataclass(frozen=True)
class FunctionUrl:
    """A function URL: every request to its own port goes to the function (payload 2.0)."""

    api: Api
    function: str
    invoke_mode: str = "BUFFERED"  # or "RESPONSE_STREAM"
    auth_type: str = "NONE"
    source: str = ""


def service_id(seed: str, length: int = 10) -> str:
    """A stable id shaped like the service's (lower-case letters and digits) from `seed`."""
    digest = hashlib.sha256(seed.encode("utf-8")).digest()
    return base64.b32encode(digest).decode("ascii").lower()[:length].replace("=", "0")
