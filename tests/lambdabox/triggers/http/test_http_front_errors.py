"""The service's answers when things go wrong, and concurrency, through real functions."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lambdabox.testing.http_front import (
    Fn,
    FrontApp,
    Response,
    function,
    http_event,
    request,
    rest_event,
    template,
)

HANDLERS = Path(__file__).parent / "handlers"

HTTP_500 = b'{"message":"Internal Server Error"}'
REST_502 = b'{"message": "Internal server error"}'


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FrontApp]:
    tmp = tmp_path_factory.mktemp("errors")
    url = {"AuthType": "NONE"}
    tpl = template(
        tmp,
        function(
            "FailFunction",
            {"Http": http_event("/fail", "get"), "Rest": rest_event("/rest-fail", "get")},
            FunctionUrlConfig=url,
        ),
        function(
            "MalformedFunction",
            {"Http": http_event("/malformed", "get"), "Rest": rest_event("/rest-malformed", "get")},
        ),
        function(
            "SleepyFunction",
            {"Http": http_event("/sleepy", "get"), "Rest": rest_event("/rest-sleepy", "get")},
        ),
        function(
            "LongFunction",
            {
                "Http": http_event("/long", "get", TimeoutInMillis=500),
                "Rest": rest_event("/rest-long", "get", TimeoutInMillis=500),
            },
        ),
        function(
            "EchoFunction",
            {"Http": http_event("/echo", "post"), "Rest": rest_event("/rest-echo", "post")},
            FunctionUrlConfig=url,
        ),
    )
    functions = {
        "FailFunction": Fn("fail", environments=1),
        "MalformedFunction": Fn("malformed", environments=1),
        "SleepyFunction": Fn("sleepy", environments=1, timeout_s=1),
        "EchoFunction": Fn("echo", environments=1),
        "LongFunction": Fn("sleepy", environments=2, timeout_s=10),
    }
    record = tmp / "records"
    record.mkdir()
    front = FrontApp(tpl, functions, record, HANDLERS).start()
    yield front
    front.close()


def test_function_error(app: FrontApp) -> None:
    http = request("GET", app.api + "/fail")
    assert (http.status, http.body) == (500, HTTP_500)
    rest = request("GET", app.api + "/rest-fail")
    assert (rest.status, rest.body) == (502, REST_502)
    assert rest.header("x-amzn-ErrorType") == "InternalServerErrorException"
    url = request("GET", app.function_url("FailFunction") + "/")
    assert (url.status, url.body) == (502, b"Internal Server Error")


def test_malformed_response(app: FrontApp) -> None:
    http = request("GET", app.api + "/malformed")
    assert (http.status, http.body) == (500, HTTP_500)
    rest = request("GET", app.api + "/rest-malformed")
    assert (rest.status, rest.body) == (502, REST_502)


def test_timeout(app: FrontApp) -> None:
    http = request("GET", app.api + "/sleepy")
    assert (http.status, http.body) == (500, HTTP_500)
    rest = request("GET", app.api + "/rest-sleepy")
    assert (rest.status, rest.body) == (502, REST_502)


def test_integration_timeout(app: FrontApp) -> None:
    http = request("GET", app.api + "/long")
    assert (http.status, http.body) == (503, b'{"message":"Service Unavailable"}')
    rest = request("GET", app.api + "/rest-long")
    assert (rest.status, rest.body) == (504, b'{"message": "Endpoint request timed out"}')


def test_request_over_6_mb_is_413(app: FrontApp) -> None:
    big = b"x" * (6 * 1024 * 1024 + 1)
    text = [("Content-Type", "text/plain")]
    http = request("POST", app.api + "/echo", headers=text, body=big)
    assert http.status == 413
    assert http.body == b'{"message":"Request Entity Too Large"}'
    rest = request("POST", app.api + "/rest-echo", headers=text, body=big)
    assert rest.status == 413
    url = request("POST", app.function_url("EchoFunction") + "/", headers=text, body=big)
    assert url.status == 413
    # 5 MB of binary is over 6 MB once base64-encoded in the event.
    binary = [("Content-Type", "application/octet-stream")]
    encoded = request("POST", app.api + "/echo", headers=binary, body=b"\x00" * (5 * 1024 * 1024))
    assert encoded.status == 413
    small = request("POST", app.api + "/echo", headers=text, body=b"small")
    assert small.status == 200
    assert json.loads(small.body)["body"] == "small"


def _slow_app(tmp: Path, environments: int) -> FrontApp:
    record = tmp / "records"
    record.mkdir()
    tpl = template(
        tmp,
        function(
            "SlowFunction",
            {"Http": http_event("/slow", "get"), "Rest": rest_event("/rest-slow", "get")},
            FunctionUrlConfig={"AuthType": "NONE"},
        ),
    )
    return FrontApp(
        tpl, {"SlowFunction": Fn("slow", environments=environments)}, record, HANDLERS
    ).start()


def _in_background(url: str) -> tuple[threading.Thread, list[Response]]:
    answers: list[Response] = []
    thread = threading.Thread(target=lambda: answers.append(request("GET", url)))
    thread.start()
    return thread, answers


def _wait_started(record: Path, count: int) -> None:
    deadline = time.monotonic() + 20
    while len(list(record.glob("started-*"))) < count:
        assert time.monotonic() < deadline, f"{count} invocations did not start"
        time.sleep(0.01)


def test_parallel_requests_run_in_parallel_environments(tmp_path: Path) -> None:
    app = _slow_app(tmp_path, environments=4)
    try:
        calls = [_in_background(app.api + "/slow") for _ in range(4)]
        _wait_started(app.record_dir, 4)  # all four run at once: none can end before release
        (app.record_dir / "release").write_text("")
        for thread, _ in calls:
            thread.join(30)
        assert [answers[0].status for _, answers in calls] == [200] * 4
        runs = [json.loads(p.read_text()) for p in app.record_dir.glob("ran-*")]
        assert len(runs) == 4
        assert max(start for start, _, _ in runs) < min(end for _, end, _ in runs)
        assert len({pid for _, _, pid in runs}) == 4  # four environments, each its own process
    finally:
        app.close()


def test_throttled_when_every_environment_is_busy(tmp_path: Path) -> None:
    app = _slow_app(tmp_path, environments=1)
    try:
        thread, answers = _in_background(app.api + "/slow")
        _wait_started(app.record_dir, 1)
        http = request("GET", app.api + "/slow")
        assert (http.status, http.body) == (500, HTTP_500)
        rest = request("GET", app.api + "/rest-slow")
        assert (rest.status, rest.body) == (500, REST_502)
        url = request("GET", app.function_url("SlowFunction") + "/")
        assert url.status == 429
        assert json.loads(url.body)["message"] == "Rate Exceeded."
        (app.record_dir / "release").write_text("")
        thread.join(30)
        assert answers[0].status == 200
        assert len(list(app.record_dir.glob("started-*"))) == 1  # the throttled never ran
    finally:
        app.close()
