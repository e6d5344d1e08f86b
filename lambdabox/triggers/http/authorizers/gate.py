"""The gate in front of a guarded route: identity check, authorizer invocation, caching.

For each request to a route with a Lambda authorizer: the identity sources must all be
present (else 401, the authorizer is not invoked), a REST TOKEN must match its
`ValidationExpression`; then the authorizer's result is taken from the cache (keyed by the
authorizer and its identity values, kept `ReauthorizeEvery` seconds) or from an invocation.
A simple response decides by `isAuthorized`; an IAM policy is evaluated against the
request's method ARN (a cached policy against each new request's ARN, as the service does).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lambdabox.emulator.pool import TooManyRequests
from lambdabox.triggers.http.authorizers import answers, policy
from lambdabox.triggers.http.authorizers.events import (
    authorizer_event,
    identity_values,
    method_arn,
)
from lambdabox.triggers.http.authorizers.model import TOKEN, Authorizer
from lambdabox.triggers.http.events import Incoming
from lambdabox.triggers.http.matching import Match
from lambdabox.triggers.http.model import HTTP_API
from lambdabox.triggers.http.responses import Reply
from lambdabox.triggers.ports import AppSettings, FunctionInvoker, UnknownFunction

CACHE_LIMIT = 10_000  # cached authorizer results kept at most (distinct identities)


class _Malformed(ValueError):
    """The authorizer's answer is not one the service accepts."""


@dataclass(frozen=True)
class Granted:
    """The request may go on; `authorizer` is its `requestContext.authorizer`."""

    authorizer: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class _Verdict:
    """What an authorizer answered: a simple decision or an IAM policy, with its context."""

    simple: bool | None  # isAuthorized of a simple response; None for a policy
    document: Any = None
    principal: str | None = None
    context: Mapping[str, Any] | None = None


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _verdict(authorizer: Authorizer, body: bytes) -> _Verdict:
    try:
        value = json.loads(body)
    except ValueError:
        raise _Malformed("not JSON") from None
    if not isinstance(value, dict):
        raise _Malformed("not an object")
    context = value.get("context")
    if context is not None and not isinstance(context, dict):
        raise _Malformed("context is not an object")
    if authorizer.simple_responses:
        if not isinstance(value.get("isAuthorized"), bool):
            raise _Malformed("isAuthorized is not true or false")
        return _Verdict(value["isAuthorized"], context=context)
    try:
        policy.statements(value.get("policyDocument"))
    except policy.PolicyError as exc:
        raise _Malformed(str(exc)) from None
    principal = value.get("principalId")
    if authorizer.api_kind != HTTP_API:
        if not isinstance(principal, str):
            raise _Malformed("principalId is missing")
        if context and not all(isinstance(v, (str, int, float, bool)) for v in context.values()):
            raise _Malformed("context values must be strings, numbers or booleans")
    return _Verdict(None, value["policyDocument"], principal, context)


class Gate:
    """Runs the Lambda authorizers of an API front's routes, caching their results."""

    def __init__(self, invoker: FunctionInvoker, settings: AppSettings) -> None:
        self._invoker = invoker
        self._settings = settings
        self._cache: dict[tuple[str, str, tuple[str, ...]], tuple[float, _Verdict]] = {}

    async def check(
        self,
        authorizer: Authorizer,
        inc: Incoming,
        match: Match,
        request_context: Mapping[str, Any],
        request_id: str,
    ) -> Granted | Reply:
        """Whether the request may reach the route's function: Granted, or the API's answer."""
        api = match.route.api
        kind = authorizer.api_kind
        identity = identity_values(authorizer.identity, inc, api, request_context)
        required = authorizer.payload_type == TOKEN or authorizer.caches or kind == HTTP_API
        if required and not all(identity):
            return answers.refusal(kind, answers.UNAUTHORIZED)
        given = [v or "" for v in identity]
        if authorizer.validation is not None and not re.fullmatch(authorizer.validation, given[0]):
            return answers.refusal(kind, answers.UNAUTHORIZED)
        s = self._settings
        arn = method_arn(api, inc.method, inc.raw_path, s.region, s.account_id)
        key = (authorizer.api, authorizer.name, tuple(given))
        cached = self._cache.get(key) if authorizer.caches else None
        latency = 0
        if cached is not None and cached[0] > s.clock.now():
            verdict = cached[1]
        else:
            started = time.monotonic()
            event = authorizer_event(
                authorizer, inc, api, match, arn, given, s.account_id, request_id
            )
            outcome = await self._run(authorizer, event)
            if isinstance(outcome, Reply):
                return outcome
            verdict = outcome
            latency = int((time.monotonic() - started) * 1000)
            if authorizer.caches:
                self._remember(key, verdict, authorizer.ttl_s)
        return self._decide(authorizer, verdict, arn, latency)

    def _remember(self, key: tuple[str, str, tuple[str, ...]], verdict: _Verdict, ttl: int) -> None:
        """Cache a verdict; past CACHE_LIMIT entries the expired ones go, then the oldest.
        Expiry is on the application's clock (the pytest fixture's clock moves it)."""
        now = self._settings.clock.now()
        cache = self._cache
        cache.pop(key, None)
        if len(cache) >= CACHE_LIMIT:
            for stale in [k for k, (expires, _) in cache.items() if expires <= now]:
                del cache[stale]
            while len(cache) >= CACHE_LIMIT:
                del cache[next(iter(cache))]
        cache[key] = (now + ttl, verdict)

    async def _run(self, authorizer: Authorizer, event: dict[str, Any]) -> _Verdict | Reply:
        kind = authorizer.api_kind
        if authorizer.function is None:
            return answers.refusal(kind, answers.FAILED)
        payload = json.dumps(event, separators=(",", ":")).encode("utf-8")
        try:
            answer = await self._invoker.invoke(authorizer.function, payload, wait=False)
        except (TooManyRequests, UnknownFunction):
            return answers.refusal(kind, answers.FAILED)
        body = answer.outcome.body
        if answer.outcome.function_error:
            if kind != HTTP_API and _error_message(body) == "Unauthorized":
                return answers.refusal(kind, answers.UNAUTHORIZED)
            self._settings.notes(f"http: authorizer {authorizer.name} failed: {body[:200]!r}")
            return answers.refusal(kind, answers.FAILED)
        try:
            return _verdict(authorizer, body)
        except _Malformed as exc:
            self._settings.notes(
                f"http: authorizer {authorizer.name} answered a malformed response ({exc}); "
                "return {isAuthorized, context} (simple responses) or "
                "{principalId, policyDocument, context}"
            )
            return answers.refusal(kind, answers.FAILED)

    def _decide(
        self, authorizer: Authorizer, verdict: _Verdict, arn: str, latency: int
    ) -> Granted | Reply:
        kind = authorizer.api_kind
        if verdict.simple is not None:
            allowed = policy.ALLOW if verdict.simple else policy.NO_ALLOW
        else:
            allowed = policy.evaluate(verdict.document, arn)
        if allowed == policy.DENY:
            return answers.refusal(kind, answers.EXPLICIT_DENY)
        if allowed == policy.NO_ALLOW:
            return answers.refusal(kind, answers.NOT_ALLOWED)
        if kind == HTTP_API:
            return Granted({"lambda": dict(verdict.context) if verdict.context else None})
        granted: dict[str, Any] = {"principalId": verdict.principal}
        granted.update({k: _scalar(v) for k, v in (verdict.context or {}).items()})
        granted["integrationLatency"] = latency
        return Granted(granted)


def _error_message(body: bytes) -> str | None:
    try:
        value = json.loads(body)
    except ValueError:
        return None
    message = value.get("errorMessage") if isinstance(value, dict) else None
    return message if isinstance(message, str) else None
