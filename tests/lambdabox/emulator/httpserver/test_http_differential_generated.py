"""Generated request corpus (hypothesis): the emulator's HTTP server framed against llhttp.

Requests are assembled from hostile building blocks (methods, targets,
versions, framing headers with signs, lists, repeats and odd whitespace,
obs-fold and bare CR/LF line ends, chunked bodies with extensions, oversized
sizes and trailers), pipelined up to three at a time, and sometimes mutated
byte by byte.  The ``differential`` fixture checks each against llhttp.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lambdabox.testing.http_differential import Differential, RecordingServer

METHODS = [b"GET", b"POST", b"PUT", b"HEAD", b"DELETE", b"OPTIONS", b"get", b"FOO", b"G ET", b""]
TARGETS = [b"/", b"/a?b=c", b"*", b"http://h/x", b"/%00", b"/\x7f", b"/\xff", b"", b"/a b"]
VERSIONS = [b"HTTP/1.1", b"HTTP/1.0", b"HTTP/1.2", b"HTTP/2.0", b"HTTP/1.1 ", b"http/1.1", b""]
EOLS = [b"\r\n"] * 8 + [b"\n", b"\r", b"\r\r\n"]
NAMES = [b"Content-Length", b"Transfer-Encoding", b"Connection", b"X-A", b"Host", b"Expect"]
VALUES = [
    b"0",
    b"5",
    b"05",
    b"+5",
    b"-5",
    b"5, 5",
    b"5,6",
    b" 5 ",
    b"0x5",
    b"99999999999999999999",
    b"chunked",
    b"Chunked",
    b"identity",
    b"chunked, identity",
    b"gzip, chunked",
    b"xchunked",
    b"close",
    b"keep-alive",
    b"upgrade",
    b"100-continue",
    b"a\x00b",
    b"a\x0bb",
    b"caf\xe9",
    b"",
]
SEPARATORS = [b": ", b":", b" : ", b":\t", b"\t:"]
CHUNK_SIZES = [b"5", b"05", b"5;x=y", b"5 ", b" 5", b"5;\n", b"-5", b"0x5", b"fffffffffffffffff"]


@pytest.fixture(scope="module")
def differential() -> Iterator[Differential]:
    """``differential(raw)``: run the differential check on one raw byte string."""
    server = RecordingServer()
    try:
        yield Differential(server)
    finally:
        server.stop()


@st.composite
def header_lines(draw: st.DrawFn) -> bytes:
    name = draw(st.sampled_from(NAMES))
    sep = draw(st.sampled_from(SEPARATORS))
    value = draw(st.sampled_from(VALUES))
    line = name + sep + value
    if draw(st.integers(0, 9)) == 0:
        line += b"\r\n " + draw(st.sampled_from(VALUES))  # obs-fold
    return line + draw(st.sampled_from(EOLS))


@st.composite
def bodies(draw: st.DrawFn) -> bytes:
    kind = draw(st.integers(0, 2))
    if kind == 0:
        return b""
    if kind == 1:
        return b"hello"
    size = draw(st.sampled_from(CHUNK_SIZES))
    trailer = draw(st.sampled_from([b"", b"X-T: 1\r\n", b"X-T: 1\n", b"Content-Length: 1\r\n"]))
    return size + b"\r\nhello\r\n0\r\n" + trailer + b"\r\n"


@st.composite
def requests(draw: st.DrawFn) -> bytes:
    method = draw(st.sampled_from(METHODS))
    target = draw(st.sampled_from(TARGETS))
    version = draw(st.sampled_from(VERSIONS))
    head = method + b" " + target + b" " + version + draw(st.sampled_from(EOLS))
    head += b"Host: x\r\n" + b"".join(draw(st.lists(header_lines(), max_size=4)))
    return head + draw(st.sampled_from(EOLS)) + draw(bodies())


@st.composite
def streams(draw: st.DrawFn) -> bytes:
    raw = b"".join(draw(st.lists(requests(), min_size=1, max_size=3)))
    for _ in range(draw(st.integers(0, 2))):
        if not raw:
            break
        at = draw(st.integers(0, len(raw) - 1))
        byte = draw(st.sampled_from([b"\r", b"\n", b" ", b"\t", b"\x00", b"0", b";", b":"]))
        raw = raw[:at] + byte + raw[at + 1 :]
    return raw


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(raw=streams())
def test_generated_requests_frame_like_llhttp(differential: Differential, raw: bytes) -> None:
    differential(raw)
