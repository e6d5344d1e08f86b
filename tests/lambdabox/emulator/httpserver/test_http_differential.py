"""Hand-written request-smuggling corpus: the emulator's HTTP server framed against llhttp.

Each case is sent over a real socket to the emulator's :class:`HTTPServer` and
parsed by llhttp (``httptools``); the ``differential`` fixture fails unless
every request the server accepted is framed by llhttp identically, and the
server rejects wherever the two disagree.  Cases known to be ambiguous on the
wire must moreover be rejected outright (``must_reject``).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lambdabox.testing.http_differential import Differential, RecordingServer

H = b"Host: x\r\n"
POST = b"POST /2015-03-31/functions/f/invocations HTTP/1.1\r\n" + H
GET = b"GET /path?q=1 HTTP/1.1\r\n" + H + b"\r\n"

CORPUS: dict[str, bytes] = {
    "plain get": GET,
    "content-length body": POST + b"Content-Length: 5\r\n\r\nhello",
    "zero length": POST + b"Content-Length: 0\r\n\r\n",
    "chunked": POST + b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    "chunked upper hex": POST + b"Transfer-Encoding: chunked\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n",
    "chunk extension": POST
    + b"Transfer-Encoding: chunked\r\n\r\n5;name=value\r\nhello\r\n0\r\n\r\n",
    "chunk extension quoted": POST
    + b'Transfer-Encoding: chunked\r\n\r\n5;a="b;c"\r\nhello\r\n0\r\n\r\n',
    "chunk extension bare LF": POST
    + b"Transfer-Encoding: chunked\r\n\r\n5;a\nb\r\nhello\r\n0\r\n\r\n",
    "chunk size overflow": POST
    + b"Transfer-Encoding: chunked\r\n\r\n10000000000000005\r\nhello\r\n0\r\n\r\n",
    "chunk size 16 digits": POST + b"Transfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFF\r\nhello",
    "chunk size negative": POST + b"Transfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n",
    "chunk size 0x prefix": POST + b"Transfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n",
    "chunk size space": POST + b"Transfer-Encoding: chunked\r\n\r\n5 \r\nhello\r\n0\r\n\r\n",
    "chunk data bare LF": POST + b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\n0\r\n\r\n",
    "chunk no CRLF after data": POST + b"Transfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n",
    "trailers": POST
    + b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-Trailer: yes\r\nX-B: 2\r\n\r\n",
    "trailer obs-fold": POST
    + b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-T: a\r\n b\r\n\r\n",
    "CL and TE": POST + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nhello",
    "TE and CL": POST + b"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\nhello",
    "TE identity,chunked": POST
    + b"Transfer-Encoding: identity, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    "TE chunked,identity": POST
    + b"Transfer-Encoding: chunked, identity\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    "TE twice": POST
    + b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    "TE xchunked": POST + b"Transfer-Encoding: xchunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    "TE space before colon": POST + b"Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n",
    "TE vertical tab": POST + b"Transfer-Encoding:\x0bchunked\r\n\r\n0\r\n\r\n",
    "TE obs-fold": POST + b"Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n",
    "TE in HTTP/1.0": b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "duplicate CL same": POST + b"Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
    "duplicate CL differ": POST + b"Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
    "CL list": POST + b"Content-Length: 5, 5\r\n\r\nhello",
    "CL plus sign": POST + b"Content-Length: +5\r\n\r\nhello",
    "CL minus sign": POST + b"Content-Length: -5\r\n\r\nhello",
    "CL hex": POST + b"Content-Length: 0x5\r\n\r\nhello",
    "CL space inside": POST + b"Content-Length: 1 2\r\n\r\nhello world!",
    "CL huge": POST + b"Content-Length: 99999999999999999999999\r\n\r\nhello",
    "CL unicode digit": POST + "Content-Length: \u0665\r\n\r\nhello".encode(),
    "CL leading zeros": POST + b"Content-Length: 005\r\n\r\nhello",
    "obs-fold header": POST + b"X-A: one\r\n two\r\nContent-Length: 0\r\n\r\n",
    "obs-fold tab": POST + b"X-A: one\r\n\ttwo\r\nContent-Length: 0\r\n\r\n",
    "bare LF line ends": b"GET / HTTP/1.1\nHost: x\n\n",
    "bare LF after header": b"GET / HTTP/1.1\r\nHost: x\nX: y\r\n\r\n",
    "bare CR in header": b"GET / HTTP/1.1\r\nHost: x\rX: y\r\n\r\n",
    "bare CR in value": b"GET / HTTP/1.1\r\nHost: x\r\nX: a\rb\r\n\r\n",
    "NUL in value": b"GET / HTTP/1.1\r\nHost: x\r\nX: a\x00b\r\n\r\n",
    "space before colon": b"GET / HTTP/1.1\r\nHost : x\r\n\r\n",
    "empty header name": b"GET / HTTP/1.1\r\n: x\r\n\r\n",
    "header without colon": b"GET / HTTP/1.1\r\nHost x\r\n\r\n",
    "leading space first header": b"GET / HTTP/1.1\r\n Host: x\r\n\r\n",
    "duplicate headers": b"GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\nx-a: 2\r\n\r\n",
    "header value spaces": b"GET / HTTP/1.1\r\nHost: x\r\nX-A:   padded \t \r\n\r\n",
    "obs-text value": b"GET / HTTP/1.1\r\nHost: x\r\nX-A: caf\xe9\r\n\r\n",
    "empty lines before": b"\r\n\r\n" + GET,
    "pipelined three": GET + POST + b"Content-Length: 2\r\n\r\nhi" + GET,
    "pipelined chunked then get": POST
    + b"Transfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n"
    + GET,
    "pipelined after smuggle": POST + b"Content-Length: 0\r\nContent-Length: 44\r\n\r\n" + GET,
    "http/1.0 keep-alive pipelined": b"GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
    b"GET /b HTTP/1.0\r\n\r\n",
    "http/1.0 close then more": b"GET /a HTTP/1.0\r\n\r\nGET /b HTTP/1.0\r\n\r\n",
    "http/1.1 close then more": b"GET /a HTTP/1.1\r\nConnection: close\r\n\r\n" + GET,
    "http/1.0 body": b"POST / HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc",
    "http/0.9": b"GET /\r\n\r\n",
    "http/2.0 version": b"GET / HTTP/2.0\r\n\r\n",
    "http/1.2 version": b"GET / HTTP/1.2\r\nHost: x\r\n\r\n",
    "lower-case version": b"GET / http/1.1\r\nHost: x\r\n\r\n",
    "version with space": b"GET / HTTP/1.1 \r\nHost: x\r\n\r\n",
    "lower-case method": b"get / HTTP/1.1\r\nHost: x\r\n\r\n",
    "unknown method": b"FOO / HTTP/1.1\r\nHost: x\r\n\r\n",
    "webdav method": b"PROPFIND / HTTP/1.1\r\nHost: x\r\n\r\n",
    "method with slash": b"G/ET / HTTP/1.1\r\nHost: x\r\n\r\n",
    "two spaces": b"GET  / HTTP/1.1\r\nHost: x\r\n\r\n",
    "tab separator": b"GET\t/ HTTP/1.1\r\nHost: x\r\n\r\n",
    "space in target": b"GET /a b HTTP/1.1\r\nHost: x\r\n\r\n",
    "absolute target": b"GET http://x/a?b HTTP/1.1\r\nHost: x\r\n\r\n",
    "asterisk target": b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n",
    "control in target": b"GET /a\x01b HTTP/1.1\r\nHost: x\r\n\r\n",
    "DEL in target": b"GET /a\x7fb HTTP/1.1\r\nHost: x\r\n\r\n",
    "fragment in target": b"GET /a#frag HTTP/1.1\r\nHost: x\r\n\r\n",
    "high bytes in target": b"GET /\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n",
    "upgrade header": b"GET / HTTP/1.1\r\nHost: x\r\nConnection: upgrade\r\nUpgrade: h2c\r\n\r\n",
    "connect": b"CONNECT x:443 HTTP/1.1\r\nHost: x:443\r\n\r\n",
    "expect continue": POST + b"Expect: 100-continue\r\nContent-Length: 2\r\n\r\nhi",
    "truncated body": POST + b"Content-Length: 10\r\n\r\nhi",
    "truncated chunked": POST + b"Transfer-Encoding: chunked\r\n\r\n5\r\nhel",
    "truncated head": b"GET / HTTP/1.1\r\nHost: x\r\n",
    "garbage": b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
    "only CRLF": b"\r\n",
}

MUST_REJECT = {
    "CL and TE",
    "TE and CL",
    "TE identity,chunked",
    "TE chunked,identity",
    "TE xchunked",
    "TE space before colon",
    "TE obs-fold",
    "TE in HTTP/1.0",
    "duplicate CL differ",
    "CL plus sign",
    "CL minus sign",
    "obs-fold header",
    "bare LF line ends",
    "bare CR in header",
    "space before colon",
    "chunk size overflow",
    "chunk size negative",
}


@pytest.fixture(scope="module")
def differential() -> Iterator[Differential]:
    """``differential(raw)``: run the differential check on one raw byte string."""
    server = RecordingServer()
    try:
        yield Differential(server)
    finally:
        server.stop()


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_framing_matches_llhttp(differential: Differential, name: str) -> None:
    raw = CORPUS[name]
    verdict = differential(raw)
    if name in MUST_REJECT:
        assert verdict.accepted == (), f"{name}: an ambiguous request was accepted: {verdict}"
        assert verdict.statuses, f"{name}: no answer: {verdict}"
        assert verdict.statuses[0] == 400, verdict


def test_pipelined_requests_are_all_served(differential: Differential) -> None:
    verdict = differential(CORPUS["pipelined three"])
    assert [f.method for f in verdict.accepted] == ["GET", "POST", "GET"]
    assert verdict.accepted[1].body == b"hi"


def test_trailers_are_framed_like_llhttp(differential: Differential) -> None:
    verdict = differential(CORPUS["trailers"])
    assert verdict.accepted[0].trailers == (("x-b", "2"), ("x-trailer", "yes"))
