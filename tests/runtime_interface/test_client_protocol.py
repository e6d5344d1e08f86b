"""The client against the strict Runtime API server: payloads, context, headers, warm state."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from lambdabox.testing import RuntimeAPIServer
from lambdabox.testing.runtime_process import RuntimeProcess, runtime_env

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"

Start = Callable[..., RuntimeProcess]


def test_echo_and_warm_state_across_invokes(api: RuntimeAPIServer, start_runtime: Start) -> None:
    start_runtime("basic")
    first = api.enqueue({"hello": "world"}).wait()
    second = api.enqueue([1, 2, 3]).wait()
    assert first.kind == "response"
    assert first.headers["content-type"] == "application/json"
    assert first.json()["event"] == {"hello": "world"}
    assert (first.json()["count"], second.json()["count"]) == (1, 2)
    assert first.json()["pid"] == second.json()["pid"]
    assert second.json()["event"] == [1, 2, 3]


def test_one_keepalive_connection_with_user_agent(
    api: RuntimeAPIServer, start_runtime: Start
) -> None:
    start_runtime("basic")
    for i in range(5):
        api.enqueue({"i": i}).wait()
    agents = {r.headers.get("user-agent", "") for r in api.requests}
    assert all(a.startswith("lambdabox-runtime-interface/") for a in agents)
    ports = {r.peer_port for r in api.requests}
    assert len(ports) == 1, "the client should reuse one keep-alive connection"


def test_five_megabyte_payloads_both_ways(api: RuntimeAPIServer, start_runtime: Start) -> None:
    first = start_runtime("basic", "app.length")
    data = "é" * (5 * 1024 * 1024 // 2)
    out = api.enqueue({"data": data}).wait(30)
    assert out.json() == {"length": len(data)}
    first.stop()
    start_runtime("basic")
    big = api.enqueue({"size": 5 * 1024 * 1024}).wait(30)
    assert big.body == b'"' + b"x" * (5 * 1024 * 1024) + b'"'


def test_a_large_payload_keeps_big_buffers_mapped(
    api: RuntimeAPIServer, start_runtime: Start
) -> None:
    """After the first payload of 256 KiB or more, freed megabyte buffers are reused from the
    heap instead of being unmapped and faulted in again at each invocation (glibc)."""
    start_runtime("basic", "app.page_faults")
    small = api.enqueue({}).wait().json()
    assert small["tuned"] is False
    large = api.enqueue({"data": "x" * (256 * 1024)}).wait().json()
    assert large["tuned"] is True
    after = api.enqueue({}).wait().json()
    # 20 cycles of 4 x 1 MB: ~245 faults per MB while untuned; ~none once the heap keeps them
    assert small["faults"] > 20 * 500
    assert after["faults"] < small["faults"] / 10


def test_context_fields_and_types(api: RuntimeAPIServer, start_runtime: Start) -> None:
    start_runtime("context")
    client_context = {
        "custom": {"k": "v"},
        "env": {"platform": "test"},
        "client": {
            "installation_id": "i-1",
            "app_title": "t",
            "app_version_name": "1.0",
            "app_version_code": "1",
            "app_package_name": "p",
        },
        "w3c": {"traceparent": "00-abc-def-01", "baggage": 7},
    }
    cognito = {"cognitoIdentityId": "id-1", "cognitoIdentityPoolId": "pool-1"}
    inv = api.enqueue(
        {},
        request_id="req-123",
        timeout_s=60,
        invoked_function_arn="arn:aws:lambda:eu-west-1:111122223333:function:scenario:live",
        client_context=json.dumps(client_context),
        cognito_identity=json.dumps(cognito),
        tenant_id="tenant-7",
    )
    got = inv.wait().json()
    assert got["aws_request_id"] == "req-123"
    assert got["function_name"] == "scenario"
    assert got["function_version"] == "$LATEST"
    assert got["invoked_function_arn"].endswith("function:scenario:live")
    assert (got["memory_limit_in_mb"], got["memory_type"]) == ("512", "str")
    assert got["log_group_name"] == "/aws/lambda/scenario"
    assert got["log_stream_name"] == "2026/11/27/[$LATEST]abc"
    assert got["tenant_id"] == "tenant-7"
    assert got["remaining_type"] == "int"
    assert 55_000 < got["remaining"] <= 60_000
    assert got["client_context"] == {
        "custom": {"k": "v"},
        "env": {"platform": "test"},
        "client": client_context["client"],
    }
    assert got["identity"] == {"cognito_identity_id": "id-1", "cognito_identity_pool_id": "pool-1"}
    assert got["w3c"] == {"traceparent": "00-abc-def-01"}


def test_context_without_optional_headers(api: RuntimeAPIServer, start_runtime: Start) -> None:
    start_runtime("context")
    got = api.enqueue({}).wait().json()
    assert got["client_context"] is None
    assert got["identity"] == {"cognito_identity_id": None, "cognito_identity_pool_id": None}
    assert got["tenant_id"] is None


def test_bad_client_context_is_a_context_unmarshal_error(
    api: RuntimeAPIServer, start_runtime: Start
) -> None:
    start_runtime("context")
    out = api.enqueue({}, client_context="{not json").wait()
    assert out.kind == "error"
    assert out.json()["errorType"] == "Runtime.LambdaContextUnmarshalError"
    assert out.json()["errorMessage"].startswith("Unable to parse Client Context JSON: ")


def test_trace_id_sets_and_clears_env(api: RuntimeAPIServer, start_runtime: Start) -> None:
    start_runtime("basic", "app.trace")
    trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
    assert api.enqueue({}, trace_id=trace).wait().json() == {"trace": trace}
    assert api.enqueue({}).wait().json() == {"trace": None}


def test_invocation_id_is_echoed(api: RuntimeAPIServer, start_runtime: Start) -> None:
    start_runtime("errors")
    assert api.enqueue({}, invocation_id="inv-1").wait().kind == "response"
    assert api.enqueue({"fail": True}, invocation_id="inv-2").wait().kind == "error"
    posts = [r for r in api.requests if r.method == "POST"]
    assert [r.headers.get("lambda-runtime-invocation-id") for r in posts] == ["inv-1", "inv-2"]


def test_non_json_content_type_gives_raw_bytes(api: RuntimeAPIServer, start_runtime: Start) -> None:
    start_runtime("marshal")
    out = api.enqueue(b"\x01raw\xfe", content_type="application/octet-stream").wait()
    assert out.json() == {"type": "bytes", "value": "\x01raw\xfe"}


def test_bytes_result_is_sent_raw(api: RuntimeAPIServer, start_runtime: Start) -> None:
    start_runtime("marshal")
    out = api.enqueue({"kind": "bytes"}).wait()
    assert out.body == b"\x00\x01binary\xff"
    assert out.headers["content-type"] == "application/unknown"


def test_decimal_is_a_json_number(api: RuntimeAPIServer, start_runtime: Start) -> None:
    start_runtime("marshal")
    out = api.enqueue({"kind": "decimal"}).wait()
    assert out.body == b'{"price": 19.990, "nan": NaN, "list": [1E+2]}'


def test_unicode_is_preserved_as_utf8(api: RuntimeAPIServer, start_runtime: Start) -> None:
    start_runtime("marshal", env={"AWS_EXECUTION_ENV": "AWS_Lambda_python3.13"})
    out = api.enqueue({"kind": "unicode", "text": "héllo wörld ✓"}).wait()
    assert "héllo wörld ✓".encode() in out.body
    assert "\U0001f600".encode() in out.body
    assert b"\\u" not in out.body


def test_none_and_string_results(api: RuntimeAPIServer, start_runtime: Start) -> None:
    start_runtime("marshal")
    assert api.enqueue({"kind": "none"}).wait().body == b"null"
    assert api.enqueue({"kind": "string"}).wait().body == b'"plain"'


def test_unmarshal_error(api: RuntimeAPIServer, start_runtime: Start) -> None:
    start_runtime("marshal")
    out = api.enqueue(b"{not json", content_type="application/json").wait()
    assert out.kind == "error"
    assert out.json()["errorType"] == "Runtime.UnmarshalError"
    assert out.json()["errorMessage"] == (
        "Unable to unmarshal input: Expecting property name enclosed in double quotes or '}': "
        "line 1 column 2 (char 1)"
    )
    assert out.error_type == "Runtime.UnmarshalError"


def test_marshal_error(api: RuntimeAPIServer, start_runtime: Start) -> None:
    start_runtime("marshal")
    out = api.enqueue({"kind": "unserializable"}).wait()
    assert out.json()["errorType"] == "Runtime.MarshalError"
    assert out.json()["errorMessage"] == (
        "Unable to marshal response: Object of type set is not JSON serializable"
    )
    assert out.json()["stackTrace"] == []


def test_connects_when_the_api_comes_up_late(tmp_path: object) -> None:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    proc = subprocess.Popen(
        [sys.executable, "-m", "runtime_interface", "app.handler"],
        cwd=SCENARIOS / "basic",
        env=runtime_env(f"127.0.0.1:{port}"),
    )
    try:
        timer = threading.Event()
        timer.wait(0.3)
        with RuntimeAPIServer(port=port) as server:
            assert server.enqueue({"late": True}).wait(10).json()["event"] == {"late": True}
    finally:
        proc.kill()
        proc.wait(5)


def test_unreachable_api_exits_69() -> None:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    proc = subprocess.run(
        [sys.executable, "-m", "runtime_interface", "app.handler"],
        cwd=SCENARIOS / "basic",
        env=runtime_env(f"127.0.0.1:{port}"),
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert proc.returncode == 69
    assert b"AWS_LAMBDA_RUNTIME_API" in proc.stderr


def test_usage_errors_exit_2() -> None:
    no_api = runtime_env("")
    del no_api["AWS_LAMBDA_RUNTIME_API"]
    proc = subprocess.run(
        [sys.executable, "-m", "runtime_interface", "app.handler"],
        env=no_api,
        capture_output=True,
        timeout=10,
        check=False,
    )
    assert proc.returncode == 2
    assert b"AWS_LAMBDA_RUNTIME_API is not set" in proc.stderr
    proc = subprocess.run(
        [sys.executable, "-m", "runtime_interface"],
        env=runtime_env("127.0.0.1:9"),
        capture_output=True,
        timeout=10,
        check=False,
    )
    assert proc.returncode == 2
    assert b"no handler given" in proc.stderr


def test_handler_from_env_var(
    api: RuntimeAPIServer, start_runtime: Start, tmp_path: object
) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "runtime_interface"],
        cwd=SCENARIOS / "init_errors",
        env=runtime_env(api.address, _HANDLER="pkg/mod.handler"),
    )
    try:
        assert api.enqueue({}).wait().json() == {"from": "pkg.mod"}
    finally:
        proc.kill()
        proc.wait(5)
