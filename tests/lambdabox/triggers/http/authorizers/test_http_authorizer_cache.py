"""The authorizer result cache stays bounded: expired entries go first, then the oldest."""

from __future__ import annotations

from typing import Any, cast

import pytest

from lambdabox.triggers.http.authorizers import gate
from lambdabox.triggers.ports import AppSettings, FunctionInvoker


def test_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gate, "CACHE_LIMIT", 3)
    keeper = gate.Gate(cast(FunctionInvoker, object()), AppSettings())
    verdict = gate._Verdict(True)
    cache: dict[Any, Any] = keeper._cache
    keeper._remember(("api", "a", ("old",)), verdict, 0)  # expires at once
    keeper._remember(("api", "a", ("1",)), verdict, 300)
    keeper._remember(("api", "a", ("2",)), verdict, 300)
    keeper._remember(("api", "a", ("3",)), verdict, 300)  # the expired one makes room
    assert [k[2][0] for k in cache] == ["1", "2", "3"]
    keeper._remember(("api", "a", ("4",)), verdict, 300)  # then the oldest goes
    assert [k[2][0] for k in cache] == ["2", "3", "4"]
