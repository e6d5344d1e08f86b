"""The bytes the service's Python runtime (awslambdaric) gives, checked against known facts:
traces without Python 3.11+ column markers, importlib's frames in init-error traces,
simplejson's separators and per-version escaping, and simplejson's decoder messages."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from lambdabox.testing import RuntimeAPIServer
from runtime_interface import _codec

Start = Callable[..., Any]  # the start_runtime fixture: starts the client on a scenario
MARKERS = frozenset("^~ \n")


def _marker_lines(text: str) -> list[str]:
    """Lines made only of `^`/`~` (what traceback adds under a frame's source on 3.11+)."""
    return [line for line in text.splitlines() if line.strip() and set(line) <= MARKERS]


# --- 1. no column markers -------------------------------------------------------------------


@pytest.mark.skipif(sys.version_info < (3, 11), reason="column markers exist from 3.11 on")
def test_invocation_error_traces_carry_no_column_markers(
    api: RuntimeAPIServer, start_runtime: Start
) -> None:
    runtime = start_runtime("errors")
    out = api.enqueue([]).wait()  # `event.get` on a list: 3.11 would underline `event.get`
    trace = out.json()["stackTrace"]
    assert 'if event.get("fail"):' in trace[-1]
    assert [line for element in trace for line in _marker_lines(element)] == []
    runtime.stop()
    record = next(line for line in runtime.output().split("\n") if line.startswith("[ERROR]"))
    assert "AttributeError: 'list' object has no attribute 'get'" in record
    assert _marker_lines(record.replace("\r", "\n").replace("\u00a0", " ")) == []


# --- 2. init errors keep importlib's frames ------------------------------------------------------


def test_init_error_trace_starts_at_import_module(
    api: RuntimeAPIServer, start_runtime: Start
) -> None:
    start_runtime("init_errors", "raises.handler").wait()
    posted = api.wait_init_error(5)
    assert posted is not None
    trace = json.loads(posted.body)["stackTrace"]
    assert trace[0].startswith('  File "')
    assert "importlib" in trace[0]
    assert '__init__.py", line ' in trace[0]
    assert trace[0].split("\n")[0].endswith(", in import_module")
    assert any("_find_and_load" in element for element in trace)
    assert trace[-1].endswith('raises.py", line 2, in <module>\n    VALUE = CONFIG["missing"]\n')
    assert [line for element in trace for line in _marker_lines(element)] == []


# --- 3. result and error bytes -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("execution_env", "version", "escapes"),
    [
        ("AWS_Lambda_python3.9", (3, 13), True),
        ("AWS_Lambda_python3.11", (3, 11), True),
        ("AWS_Lambda_python3.12", (3, 11), False),
        ("AWS_Lambda_python3.13", (3, 13), False),
        ("AWS_Lambda_python3.14", (3, 14), False),
        (None, (3, 9), True),
        (None, (3, 11), True),
        (None, (3, 12), False),
        (None, (3, 13), False),
        ("AWS_Lambda_nodejs22.x", (3, 13), False),
        ("AWS_Lambda_Image", (3, 11), True),
    ],
)
def test_non_ascii_escaping_follows_the_runtime_version(
    execution_env: str | None, version: tuple[int, int], escapes: bool
) -> None:
    assert _codec.escapes_non_ascii(execution_env, version) is escapes


@pytest.mark.parametrize(
    ("execution_env", "body"),
    [
        ("AWS_Lambda_python3.11", b'{"text": "h\\u00e9llo", "emoji": "\\ud83d\\ude00"}'),
        ("AWS_Lambda_python3.13", '{"text": "héllo", "emoji": "\U0001f600"}'.encode()),
    ],
)
def test_results_are_written_as_the_service_writes_them(
    api: RuntimeAPIServer, start_runtime: Start, execution_env: str, body: bytes
) -> None:
    start_runtime("marshal", env={"AWS_EXECUTION_ENV": execution_env})
    assert api.enqueue({"kind": "unicode", "text": "héllo"}).wait().body == body
    assert api.enqueue({"kind": "decimal"}).wait().body == (
        b'{"price": 19.990, "nan": NaN, "list": [1E+2]}'
    )


def test_error_bodies_use_the_service_separators(
    api: RuntimeAPIServer, start_runtime: Start
) -> None:
    env = {"AWS_EXECUTION_ENV": "AWS_Lambda_python3.11"}
    start_runtime("errors", env=env)
    out = api.enqueue({"fail": True}).wait()
    assert out.body.startswith(
        b'{"errorMessage": "something went wrong: \\u00fc", "errorType": "CustomError", '
        b'"requestId": "'
    )
    assert b'", "stackTrace": ["  File \\"' in out.body


def test_encoder_takes_simplejson_semantics() -> None:
    quote = json.dumps(  # what awslambdaric's encoder writes, in this process's mode
        "é", ensure_ascii=_codec.ASCII
    )
    assert _codec.dumps({"a": 1, "b": [1, 2], "c": {}}) == '{"a": 1, "b": [1, 2], "c": {}}'
    assert _codec.dumps({"raw": b"bytes \xc3\xa9"}) == '{"raw": "bytes ' + quote[1:-1] + '"}'
    assert _codec.dumps({b"key": 1, 2: Decimal("3.10")}) == '{"key": 1, "2": 3.10}'
    assert _codec.dumps([float("nan"), float("-inf"), Decimal("NaN")]) == ("[NaN, -Infinity, NaN]")
    cycle: list[object] = []
    cycle.append(cycle)
    with pytest.raises(ValueError, match=r"^Circular reference detected$"):
        _codec.dumps(cycle)
    with pytest.raises(TypeError, match=r"^keys must be str, int, float, bool or None, not tuple$"):
        _codec.dumps({(1,): 1})
    with pytest.raises(TypeError, match=r"^Object of type set is not JSON serializable$"):
        _codec.dumps({"s": {1}})


def test_log_records_keep_the_standard_json_format() -> None:
    assert _codec.dumps_log({"message": "é", "n": Decimal("1.5")}) == (
        '{"message": "é", "n": "1.5"}'
    )


# --- 4. simplejson's decoder messages -------------------------------------------------------------

DECODER_MESSAGES = [  # (event, simplejson's message): facts read from simplejson 4.3
    (
        "{not json",
        "Expecting property name enclosed in double quotes or '}': line 1 column 2 (char 1)",
    ),
    ("{", "Expecting property name enclosed in double quotes or '}': line 1 column 2 (char 1)"),
    ('{"a":1,x}', "Expecting property name enclosed in double quotes: line 1 column 8 (char 7)"),
    ('{"a":1,}', "Illegal trailing comma before end of object: line 1 column 7 (char 6)"),
    ("[1,\n2,]", "Illegal trailing comma before end of array: line 2 column 2 (char 5)"),
    ("[", "Expecting value or ']': line 1 column 2 (char 1)"),
    ('{"a" 1}', "Expecting ':' delimiter: line 1 column 6 (char 5)"),
    ('{"a":1 "b"}', "Expecting ',' delimiter or '}': line 1 column 8 (char 7)"),
    ("[1 2]", "Expecting ',' delimiter or ']': line 1 column 4 (char 3)"),
    ("", "Expecting value: line 1 column 1 (char 0)"),
    ("   ", "Expecting value: line 1 column 4 (char 3)"),
    ("[1,", "Expecting value: line 1 column 4 (char 3)"),
    ("NaN", "Expecting value: line 1 column 1 (char 0)"),
    ("[-Infinity]", "Expecting value: line 1 column 2 (char 1)"),
    ('"abc', "Unterminated string starting at: line 1 column 1 (char 0)"),
    ('"abc\\', "Unterminated string starting at: line 1 column 1 (char 0)"),
    ('"a\nb"', "Invalid control character '\\n' at: line 1 column 3 (char 2)"),
    ('"\\q"', "Invalid \\X escape sequence 'q': line 1 column 3 (char 2)"),
    ('"\\u12x4"', "Invalid \\uXXXX escape sequence: line 1 column 2 (char 1)"),
    ('"\\ud800\\u12"', "Invalid \\uXXXX escape sequence: line 1 column 8 (char 7)"),
    ("1 2 3", "Extra data: line 1 column 3 - line 1 column 6 (char 2 - 5)"),
    ("1.5e+", "Extra data: line 1 column 4 - line 1 column 6 (char 3 - 5)"),
    (" \ufeff[1]", "Expecting value: line 1 column 2 (char 1)"),
]


@pytest.mark.parametrize(("text", "message"), DECODER_MESSAGES)
def test_decoder_errors_use_simplejson_wording(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)) as caught:
        _codec.loads(text.encode())
    assert str(caught.value) == message


def test_decoder_accepts_what_simplejson_accepts() -> None:
    assert _codec.loads(b'\xef\xbb\xbf{"a": [1, 2.5]}') == {"a": [1, 2.5]}  # a BOM is skipped
    assert _codec.loads("\ufeff 7") == 7
    deep = b"[" * 100_000
    with pytest.raises(RecursionError, match=r"while decoding a JSON array from a string$"):
        _codec.loads(deep)


def test_headers_are_parsed_with_the_standard_library_rules() -> None:
    assert _codec.loads_header('{"custom": {"n": NaN}}')["custom"]["n"] != 0
    with pytest.raises(ValueError, match="Expecting property name enclosed in double quotes:"):
        _codec.loads_header("{x")


def test_unmarshal_error_reaches_the_caller_in_simplejson_words(
    api: RuntimeAPIServer, start_runtime: Start
) -> None:
    start_runtime("marshal")
    out = api.enqueue(b"[1,]", content_type="application/json").wait()
    assert out.json()["errorType"] == "Runtime.UnmarshalError"
    assert out.json()["errorMessage"] == (
        "Unable to unmarshal input: Illegal trailing comma before end of array: "
        "line 1 column 3 (char 2)"
    )
