"""The warm path's HTTP parsing: the emulator's own parser against llhttp (`httptools`).

`python -m bench.http_parser` parses the three requests one warm invoke costs the emulator
(the caller's invoke as boto3 sends it, the runtime's `/response` and its next `GET /next`)
with both, to the same result (method, target, lower-cased header dict, body), and prints
microseconds per request and per invoke, medians over rounds with their min-max. The
figure to set it against is a warm invoke (~400-800 µs here): that says whether switching
parsers could move the warm invokes/s at all.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable

import httptools

from lambdabox.emulator.httpserver.parsing import (
    parse_content_length,
    parse_fields,
    parse_request_line,
)

Parsed = tuple[str, str, dict[str, str], bytes]

_EVENT = b'{"data":"' + b"x" * 89 + b'"}'
REQUESTS = (
    b"POST /2015-03-31/functions/function/invocations HTTP/1.1\r\n"
    b"Host: 127.0.0.1:8080\r\nAccept-Encoding: identity\r\n"
    b"X-Amz-Invocation-Type: RequestResponse\r\nX-Amz-Log-Type: None\r\n"
    b"User-Agent: Boto3/1.35.0 md/Botocore#1.35.0 ua/2.0 os/linux#6.1 md/arch#x86_64 "
    b"lang/python#3.11.7 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.35.0\r\n"
    b"X-Amz-Date: 20261203T140000Z\r\n"
    b"X-Amz-Content-SHA256: 6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b\r\n"
    b"Authorization: AWS4-HMAC-SHA256 Credential=test/20261203/us-east-1/lambda/aws4_request, "
    b"SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=0123456789abcdef\r\n"
    b"amz-sdk-invocation-id: 3f1c2f4e-8f6a-4b1e-9d3c-1a2b3c4d5e6f\r\n"
    b"amz-sdk-request: attempt=1; max=5\r\nContent-Length: 100\r\n\r\n" + _EVENT,
    b"POST /2018-06-01/runtime/invocation/8476a536-e9f4-11e8-9739-2dfe598c3fcd/response "
    b"HTTP/1.1\r\nHost: 127.0.0.1:9001\r\nUser-Agent: lambdabox-runtime/1.0\r\n"
    b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n" + _EVENT,
    b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: 127.0.0.1:9001\r\n"
    b"User-Agent: lambdabox-runtime/1.0\r\n\r\n",
)


def own(data: bytes) -> Parsed:
    """What the emulator's connection does for one request with a Content-Length body."""
    idx = data.find(b"\r\n\r\n")
    line_end = data.find(b"\r\n")
    method, target, _http11 = parse_request_line(data[:line_end])
    headers = parse_fields(data[line_end + 2 : idx]) if line_end < idx else {}
    length = parse_content_length(headers["content-length"]) if "content-length" in headers else 0
    start = idx + 4
    return method, target, headers, data[start : start + length]


class _Collect:
    """httptools' callbacks into the same shape."""

    def __init__(self) -> None:
        self.target = ""
        self.headers: dict[str, str] = {}
        self.body = b""

    def on_url(self, url: bytes) -> None:
        self.target += url.decode("latin-1")

    def on_header(self, name: bytes, value: bytes) -> None:
        key = name.decode("ascii").lower()
        text = value.decode("latin-1")
        previous = self.headers.get(key)
        self.headers[key] = text if previous is None else f"{previous}, {text}"

    def on_body(self, body: bytes) -> None:
        self.body += body


def llhttp(data: bytes) -> Parsed:
    """The same with httptools (llhttp): a parser per request, as per keep-alive message."""
    collect = _Collect()
    parser = httptools.HttpRequestParser(collect)
    parser.feed_data(data)
    return parser.get_method().decode("ascii"), collect.target, collect.headers, collect.body


def _us_per_request(parse: Callable[[bytes], Parsed], loops: int) -> float:
    started = time.perf_counter()
    for _ in range(loops):
        for data in REQUESTS:
            parse(data)
    return (time.perf_counter() - started) * 1e6 / (loops * len(REQUESTS))


def main() -> int:
    quick = "--quick" in sys.argv
    loops, rounds = (2000, 3) if quick else (20000, 7)
    for data in REQUESTS:  # both must read the same thing, or the comparison means nothing
        if own(data) != llhttp(data):
            print(f"parsers disagree on {data[:60]!r}", file=sys.stderr)
            return 1
    figures: dict[str, list[float]] = {"own": [], "llhttp": []}
    for _ in range(rounds):  # interleaved
        figures["own"].append(_us_per_request(own, loops))
        figures["llhttp"].append(_us_per_request(llhttp, loops))
    print(f"HTTP parsing, {len(REQUESTS)} requests of one warm invoke, {rounds} rounds")
    for name, samples in figures.items():
        med = statistics.median(samples)
        print(
            f"  {name:<7} {med:6.2f} µs/request ({min(samples):.2f}-{max(samples):.2f}), "
            f"{med * len(REQUESTS):6.2f} µs/invoke"
        )
    saved = statistics.median(figures["own"]) - statistics.median(figures["llhttp"])
    saved *= len(REQUESTS)
    print(f"  llhttp would save {saved:.2f} µs per invoke (negative: it costs more)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
