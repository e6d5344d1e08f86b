"""The authorizer result cache: kept `ReauthorizeEvery` seconds on the application's clock,
keyed by identity, bounded (expired entries go first, then the oldest). A pure unit: the
invoker is a stand-in that counts the authorizer's invocations."""

from __future__ import annotations

import asyncio
import json
from typing import Any, cast

import pytest

from lambdabox.emulator.invocation import Outcome
from lambdabox.triggers.http.authorizers import gate
from lambdabox.triggers.http.authorizers.model import Authorizer, IdentitySource
from lambdabox.triggers.http.events import Incoming
from lambdabox.triggers.http.matching import Match
from lambdabox.triggers.http.model import REST_API, Api, Route
from lambdabox.triggers.ports import Answer, AppSettings, FunctionInvoker


class _Clock:
    def __init__(self) -> None:
        self.now_s = 1_000.0

    def now(self) -> float:
        return self.now_s

    async def sleep_until(self, when: float) -> None:
        raise NotImplementedError


class _CountingInvoker:
    """Answers every authorizer invocation with an Allow-all policy, counting them."""

    def __init__(self) -> None:
        self.calls = 0

    async def invoke(self, function: str, payload: bytes, **_: Any) -> Answer:
        self.calls += 1
        policy = {
            "principalId": "p",
            "policyDocument": {
                "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
            },
        }
        return Answer("id", Outcome(json.dumps(policy).encode()))


API = Api(kind=REST_API, name="Api", api_id="abc123", stage="Prod")
AUTH = Authorizer(
    "Tok", "Api", REST_API, "AuthFn", "AuthFn", identity=(IdentitySource("header", "X"),), ttl_s=60
)
MATCH = Match(Route(API, "GET", "/a", "Fn", "1.0", authorizer=AUTH), {})


def _request(token: str) -> Incoming:
    return Incoming("GET", "/a", "", (("X", token),), b"", "127.0.0.1", 3000, 0.0)


def test_results_expire_on_the_application_clock() -> None:
    clock, invoker = _Clock(), _CountingInvoker()
    keeper = gate.Gate(cast(FunctionInvoker, invoker), AppSettings(clock=clock))

    def check(token: str) -> Any:
        return asyncio.run(keeper.check(AUTH, _request(token), MATCH, {}, "rid"))

    assert isinstance(check("t1"), gate.Granted)
    assert isinstance(check("t1"), gate.Granted)
    assert invoker.calls == 1  # cached
    check("t2")
    assert invoker.calls == 2  # keyed by identity
    clock.now_s += 59
    check("t1")
    assert invoker.calls == 2
    clock.now_s += 2  # past ReauthorizeEvery (60 s)
    check("t1")
    assert invoker.calls == 3


def test_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gate, "CACHE_LIMIT", 3)
    clock = _Clock()
    keeper = gate.Gate(cast(FunctionInvoker, object()), AppSettings(clock=clock))
    verdict = gate._Verdict(True)
    cache: dict[Any, Any] = keeper._cache
    keeper._remember(("api", "a", ("old",)), verdict, 0)  # expires at once
    keeper._remember(("api", "a", ("1",)), verdict, 300)
    keeper._remember(("api", "a", ("2",)), verdict, 300)
    keeper._remember(("api", "a", ("3",)), verdict, 300)  # the expired one makes room
    assert [k[2][0] for k in cache] == ["1", "2", "3"]
    keeper._remember(("api", "a", ("4",)), verdict, 300)  # then the oldest goes
    assert [k[2][0] for k in cache] == ["2", "3", "4"]
