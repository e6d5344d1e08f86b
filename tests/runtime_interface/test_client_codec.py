"""The client's JSON encoder: byte-identical to json's with awslambdaric's settings (default
separators; ensure_ascii unless Python 3.12+) on every path, including the fast path for long
strings that need no escaping."""

from __future__ import annotations

import json
import random
from decimal import Decimal

import pytest

from runtime_interface import _codec

SPECIAL = ["é", "\u2028", "\x00", "\x1f", '"', "\\", "\x7f", "\n", "\U0001f600"]


def reference(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=_codec.ASCII, allow_nan=True)


@pytest.mark.parametrize("size", [10, _codec.BIG - 1, _codec.BIG, _codec.BIG + 7, 300_000])
def test_long_and_short_strings_encode_as_json_does(size: int) -> None:
    rng = random.Random(size)
    texts = ["y" * size]
    for special in SPECIAL:  # one character that needs escaping (or is not ASCII) anywhere
        position = rng.randrange(size)
        texts.append("y" * position + special + "y" * (size - position - 1))
    for text in texts:
        for obj in (text, {"body": text, "n": 1}, [text, "s"], {"nested": {"b": text}}):
            assert _codec.dumps(obj) == reference(obj)


def test_decimals_next_to_a_long_string_take_the_decimal_path() -> None:
    body = "z" * (_codec.BIG * 2)
    assert _codec.dumps({"body": body, "price": Decimal("1.50")}) == (
        '{"body": "' + body + '", "price": 1.50}'
    )
