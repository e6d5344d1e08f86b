"""FilterCriteria patterns: every documented operator, arrays, nesting, `$or`, payload rules."""

from __future__ import annotations

import json
from typing import Any

import pytest

from lambdabox.triggers.filters import FilterError, compile_criteria, compile_pattern


def match(pattern: dict[str, Any], record: dict[str, Any]) -> bool:
    return compile_pattern(pattern).matches(record)


@pytest.mark.parametrize(
    ("rule", "value", "expected"),
    [
        (["Alice"], "Alice", True),
        (["Alice"], "alice", False),
        (["Credit", "Debit"], "Debit", True),  # or: several values
        ([100], 100, True),
        ([100], 100.0, True),
        ([100], "100", False),
        ([True], True, True),
        ([True], 1, False),
        ([None], None, True),  # null
        ([None], "", False),
        ([""], "", True),  # empty
        ([{"equals-ignore-case": "alice"}], "ALICE", True),
        ([{"equals-ignore-case": "alice"}], "bob", False),
        ([{"prefix": "us-"}], "us-east-1", True),
        ([{"prefix": "us-"}], "eu-west-1", False),
        ([{"prefix": {"equals-ignore-case": "US-"}}], "us-east-1", True),
        ([{"suffix": ".png"}], "a.png", True),
        ([{"suffix": ".png"}], "a.jpg", False),
        ([{"suffix": {"equals-ignore-case": ".PNG"}}], "a.png", True),
        ([{"anything-but": "Raining"}], "Sunny", True),
        ([{"anything-but": "Raining"}], "Raining", False),
        ([{"anything-but": ["Raining", "Snowing"]}], "Snowing", False),
        ([{"anything-but": [1, 2]}], 3, True),
        ([{"anything-but": [1, 2]}], 2, False),
        ([{"anything-but": {"prefix": "init"}}], "initializing", False),
        ([{"anything-but": {"prefix": "init"}}], "running", True),
        ([{"anything-but": {"suffix": ".png"}}], "a.png", False),
        ([{"anything-but": {"equals-ignore-case": ["A", "b"]}}], "a", False),
        ([{"anything-but": {"equals-ignore-case": ["A", "b"]}}], "c", True),
        ([{"numeric": ["=", 100]}], 100, True),
        ([{"numeric": [">", 10, "<=", 20]}], 20, True),
        ([{"numeric": [">", 10, "<=", 20]}], 10, False),
        ([{"numeric": [">=", 10, "<", 20]}], 10, True),
        ([{"numeric": ["<", 0]}], -1.5, True),
        ([{"numeric": ["<", 0]}], "-1", False),
        ([{"exists": True}], "anything", True),
        ([{"exists": False}], "anything", False),
    ],
)
def test_operators_on_a_present_field(rule: list[Any], value: Any, expected: bool) -> None:
    assert match({"f": rule}, {"f": value}) is expected


def test_absent_fields_match_only_exists_false() -> None:
    assert match({"f": [{"exists": False}]}, {}) is True
    assert match({"f": [{"exists": True}]}, {}) is False
    assert match({"f": [{"anything-but": "x"}]}, {}) is False
    assert match({"f": [None]}, {}) is False


def test_arrays_match_when_any_element_matches() -> None:
    assert match({"tags": ["red"]}, {"tags": ["blue", "red"]}) is True
    assert match({"tags": ["red"]}, {"tags": ["blue"]}) is False
    assert match({"items": {"sku": ["A1"]}}, {"items": [{"sku": "B2"}, {"sku": "A1"}]}) is True


def test_nested_and_and_or() -> None:
    pattern = {
        "detail": {"state": ["open"]},
        "$or": [{"size": [{"numeric": [">", 5]}]}, {"kind": ["big"]}],
    }
    assert match(pattern, {"detail": {"state": "open"}, "size": 9}) is True
    assert match(pattern, {"detail": {"state": "open"}, "kind": "big"}) is True
    assert match(pattern, {"detail": {"state": "open"}, "size": 1}) is False
    assert match(pattern, {"detail": {"state": "closed"}, "size": 9}) is False
    assert match({"detail": {"state": [{"exists": False}]}}, {}) is True


def criteria(*patterns: Any) -> Any:
    return compile_criteria({"Filters": [{"Pattern": json.dumps(p)} for p in patterns]})


def test_criteria_or_their_patterns() -> None:
    c = criteria({"a": [1]}, {"b": [2]})
    assert c.matches({"a": 1})
    assert c.matches({"b": 2})
    assert not c.matches({"a": 2})
    assert compile_criteria(None).matches({"anything": 1})


def test_payload_json_and_plain_rules() -> None:
    json_pattern = criteria({"body": {"kind": ["order"]}})
    plain_pattern = criteria({"body": ["hello"]})
    no_body = criteria({"attributes": {"SenderId": ["me"]}})
    json_body = {"body": '{"kind": "order"}', "attributes": {"SenderId": "me"}}
    plain_body = {"body": "hello", "attributes": {"SenderId": "me"}}
    assert json_pattern.matches(json_body, "body")
    assert not json_pattern.matches(plain_body, "body")  # JSON pattern, plain body: dropped
    assert plain_pattern.matches(plain_body, "body")
    assert not plain_pattern.matches({"body": '{"x": 1}'}, "body")  # plain pattern, JSON body
    assert no_body.matches(json_body, "body")
    assert no_body.matches(plain_body, "body")
    assert not json_pattern.matches({"body": "[1, 2]"}, "body")


@pytest.mark.parametrize(
    ("criteria_value", "message"),
    [
        ({"Filters": [{"Pattern": "{not json"}]}, "not valid JSON"),
        ({"Filters": [{"Pattern": "[]"}]}, "non-empty JSON object"),
        ({"Filters": [{"Pattern": '{"a": "x"}'}]}, 'write ["x"]'),
        ({"Filters": [{"Pattern": '{"a": []}'}]}, "empty array"),
        ({"Filters": [{"Pattern": '{"a": [{"wildcard": "*x"}]}'}]}, "EventBridge operator"),
        ({"Filters": [{"Pattern": '{"a": [{"cidr": "10.0.0.0/8"}]}'}]}, "EventBridge operator"),
        ({"Filters": [{"Pattern": '{"a": [{"nope": 1}]}'}]}, 'unknown operator "nope"'),
        ({"Filters": [{"Pattern": '{"a": [{"numeric": [">", "x"]}]}'}]}, "operator/number"),
        ({"Filters": [{"Pattern": '{"a": [{"numeric": ["!", 1]}]}'}]}, "operator/number"),
        ({"Filters": [{"Pattern": '{"a": [{"exists": "yes"}]}'}]}, "true or false"),
        ({"Filters": [{"Pattern": '{"a": [{"anything-but": []}]}'}]}, "anything-but"),
        ({"Filters": [{"Pattern": '{"$or": [{"a": [1]}]}'}]}, "at least two"),
        ({"Filters": [{"Pattern": "{}"}] * 6}, "at most 5"),
        ({"Filters": [{"pattern": "{}"}]}, '"Pattern"'),
        ({"Patterns": []}, '"Filters"'),
    ],
)
def test_invalid_criteria_name_the_fix(criteria_value: Any, message: str) -> None:
    with pytest.raises(FilterError, match="FilterCriteria") as info:
        compile_criteria(criteria_value)
    assert message in str(info.value)


def test_a_pattern_may_be_an_object_in_yaml() -> None:
    c = compile_criteria({"Filters": [{"Pattern": {"body": {"a": [1]}}}]})
    assert c.matches({"body": '{"a": 1}'}, "body")
