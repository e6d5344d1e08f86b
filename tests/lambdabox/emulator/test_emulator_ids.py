"""The emulator's random ids have the shapes of the stdlib's: version-4 UUIDs, hex tokens."""

from __future__ import annotations

import asyncio
import re
import uuid

from lambdabox.emulator.ids import token_hex, uuid4
from lambdabox.emulator.invocation import Invocation, new_trace_id


def test_uuid4_is_a_random_version_4_uuid_in_its_canonical_form() -> None:
    seen = {uuid4() for _ in range(200)}
    assert len(seen) == 200
    for text in seen:
        parsed = uuid.UUID(text)
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122
        assert str(parsed) == text


def test_token_hex_gives_n_random_bytes_in_lowercase_hex() -> None:
    assert re.fullmatch(r"[0-9a-f]{24}", token_hex(12))
    assert token_hex(8) != token_hex(8)


def test_invocations_get_distinct_uuid_request_ids_and_an_xray_trace_header() -> None:
    arn = "arn:aws:lambda:us-east-1:123456789012:function:f"

    async def two() -> tuple[Invocation, Invocation]:  # an Invocation needs a running loop
        return Invocation(b"{}", arn, 3.0), Invocation(b"{}", arn, 3.0)

    first, second = asyncio.run(two())
    assert uuid.UUID(first.request_id).version == 4
    assert first.request_id != second.request_id != first.invocation_id
    pattern = r"Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0"
    assert re.fullmatch(pattern, new_trace_id())
