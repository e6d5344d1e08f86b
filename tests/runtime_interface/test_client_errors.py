"""Invocation and init errors: types, messages, traces, headers and the log line."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from lambdabox.testing import RuntimeAPIServer
from lambdabox.testing.runtime_process import RuntimeProcess

Start = Callable[..., RuntimeProcess]
NBSP = "\u00a0"


def test_handler_exception(api: RuntimeAPIServer, start_runtime: Start) -> None:
    runtime = start_runtime("errors")
    out = api.enqueue({"fail": True}, request_id="req-err").wait()
    assert out.kind == "error"
    err = out.json()
    assert list(err) == ["errorMessage", "errorType", "requestId", "stackTrace"]
    assert err["errorType"] == "CustomError"
    assert err["errorMessage"] == "something went wrong: ü"
    assert err["requestId"] == "req-err"
    assert err["stackTrace"][0].startswith('  File "')
    assert "in handler" in err["stackTrace"][0]
    assert "in _inner" in err["stackTrace"][-1]
    assert not any("runtime_interface" in frame for frame in err["stackTrace"])
    assert out.headers["lambda-runtime-function-error-type"] == "CustomError"
    cause = json.loads(out.headers["lambda-runtime-function-xray-error-cause"])
    assert cause["exceptions"][0]["type"] == "CustomError"
    assert cause["exceptions"][0]["message"] == "something went wrong: ü"
    assert [f["label"] for f in cause["exceptions"][0]["stack"]] == ["handler", "_inner"]
    assert cause["working_directory"].endswith("errors")
    # The loop goes on after a handler error.
    assert api.enqueue({}).wait().body == b'"ok"'
    log = runtime.output()
    line = next(x for x in log.split("\n") if x.startswith("[ERROR] CustomError"))
    parts = line.split("\r")
    assert parts[0] == "[ERROR] CustomError: something went wrong: ü"
    assert parts[1] == "Traceback (most recent call last):"
    assert parts[2].startswith(NBSP * 2 + 'File "')


def test_system_exit_in_handler_ends_the_process(
    api: RuntimeAPIServer, start_runtime: Start
) -> None:
    runtime = start_runtime("errors", "app.exits")
    inv = api.enqueue({})
    assert runtime.wait() == 3
    assert not inv.done()


@pytest.mark.parametrize(
    ("handler", "error_type", "message"),
    [
        (
            "app",
            "Runtime.MalformedHandlerName",
            "Bad handler 'app': not enough values to unpack (expected 2, got 1)",
        ),
        (
            "nope.handler",
            "Runtime.ImportModuleError",
            "Unable to import module 'nope': No module named 'nope'",
        ),
        (
            "imports_missing.handler",
            "Runtime.ImportModuleError",
            "Unable to import module 'imports_missing': "
            "No module named 'module_that_does_not_exist'",
        ),
        ("ok.missing", "Runtime.HandlerNotFound", "Handler 'missing' missing on module 'ok'"),
        (
            "sys.handler",
            "Runtime.BuiltInModuleConflict",
            "Cannot use built-in module sys as a handler module",
        ),
        ("raises.handler", "KeyError", "'missing'"),
    ],
)
def test_init_errors(
    api: RuntimeAPIServer, start_runtime: Start, handler: str, error_type: str, message: str
) -> None:
    runtime = start_runtime("init_errors", handler)
    assert runtime.wait() == 1
    posted = api.wait_init_error(5)
    assert posted is not None
    body = json.loads(posted.body)
    assert body["errorType"] == error_type
    assert body["errorMessage"] == message
    assert body["requestId"] == ""
    assert posted.headers["lambda-runtime-function-error-type"] == error_type
    assert api.next_count == 0
    log = runtime.output()
    assert "LAMBDA_WARNING: Unhandled exception." in log
    assert f"[ERROR] {error_type}: {message}" in log


def test_syntax_error(api: RuntimeAPIServer, start_runtime: Start) -> None:
    runtime = start_runtime("init_errors", "syntax.handler")
    assert runtime.wait() == 1
    posted = api.wait_init_error(5)
    assert posted is not None
    body = json.loads(posted.body)
    assert body["errorType"] == "Runtime.UserCodeSyntaxError"
    assert body["errorMessage"].startswith("Syntax error in module 'syntax': ")
    assert body["stackTrace"][0].startswith('  File "')
    assert body["stackTrace"][0].split("\n")[0].endswith('syntax.py" Line 1')


def test_exception_at_import_reports_user_frames(
    api: RuntimeAPIServer, start_runtime: Start
) -> None:
    start_runtime("init_errors", "raises.handler").wait()
    posted = api.wait_init_error(5)
    assert posted is not None
    trace = json.loads(posted.body)["stackTrace"]
    assert "importlib" in trace[0]  # import_module's frame first, as awslambdaric's
    assert "import_module" in trace[0]
    assert "raises.py" in trace[-1]


def test_dotted_and_slashed_handlers(api: RuntimeAPIServer, start_runtime: Start) -> None:
    dotted = start_runtime("init_errors", "pkg.mod.handler")
    assert api.enqueue({}).wait().json() == {"from": "pkg.mod"}
    dotted.stop()
    start_runtime("init_errors", "pkg/mod.handler")
    assert api.enqueue({}).wait().json() == {"from": "pkg.mod"}
