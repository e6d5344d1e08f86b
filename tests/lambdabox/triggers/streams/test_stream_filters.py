"""FilterCriteria on stream records: Kinesis patterns see the `kinesis` fields with `data`
decoded from base64 (and read as JSON), DynamoDB patterns see the whole record."""

from __future__ import annotations

import base64
import json
from typing import Any

from lambdabox.triggers.filters import compile_criteria
from lambdabox.triggers.streams.mapping import _passes_filters


def _kinesis(data: bytes, key: str = "k1") -> dict[str, Any]:
    return {
        "kinesis": {"partitionKey": key, "data": base64.b64encode(data).decode()},
        "eventSource": "aws:kinesis",
    }


def _criteria(*patterns: dict[str, Any]) -> Any:
    return compile_criteria({"Filters": [{"Pattern": json.dumps(p)} for p in patterns]})


def test_kinesis_data_is_decoded_and_matched_as_json() -> None:
    hot = _criteria({"data": {"temperature": [{"numeric": [">", 30]}]}})
    assert _passes_filters(hot, _kinesis(b'{"temperature": 35}'))
    assert not _passes_filters(hot, _kinesis(b'{"temperature": 20}'))
    assert not _passes_filters(hot, _kinesis(b"not json"))


def test_kinesis_metadata_fields_and_or_of_filters() -> None:
    either = _criteria({"partitionKey": ["a"]}, {"partitionKey": [{"prefix": "b"}]})
    assert _passes_filters(either, _kinesis(b"x", key="a"))
    assert _passes_filters(either, _kinesis(b"x", key="bee"))
    assert not _passes_filters(either, _kinesis(b"x", key="c"))


def test_dynamodb_patterns_see_the_whole_record() -> None:
    inserts = _criteria({"eventName": ["INSERT"], "dynamodb": {"Keys": {"id": {"S": ["1"]}}}})
    record = {"eventName": "INSERT", "dynamodb": {"Keys": {"id": {"S": "1"}}}}
    assert _passes_filters(inserts, record)
    assert not _passes_filters(inserts, {**record, "eventName": "REMOVE"})


def test_no_criteria_passes_everything() -> None:
    assert _passes_filters(compile_criteria(None), _kinesis(b"anything"))
