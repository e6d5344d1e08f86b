"""The emulator in process mode, driven over real HTTP with real runtimes."""

from __future__ import annotations

import base64
import json
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from lambdabox.testing.emulator import emulator, python_runtime

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def test_sync_invoke_echo_and_headers() -> None:
    with emulator(python_runtime("app.handler")) as emu:
        resp = emu.invoke({"hello": "world"}, headers={"X-Amzn-Trace-Id": "Root=1-abc-def"})
        assert resp.status_code == 200
        assert resp.json()["echo"] == {"hello": "world"}
        assert resp.headers["Content-Type"] == "application/json"
        assert resp.headers["X-Amz-Executed-Version"] == "$LATEST"
        assert "X-Amz-Function-Error" not in resp.headers
        assert resp.headers["X-Amzn-Trace-Id"] == "Root=1-abc-def"
        request_id = resp.headers["x-amzn-RequestId"]
        ctx = emu.invoke({"action": "context"}, headers={"X-Amzn-Trace-Id": "Root=1-abc-def"})
        assert ctx.json()["trace"] == "Root=1-abc-def"
        assert ctx.json()["arn"] == "arn:aws:lambda:us-east-1:012345678912:function:scenario"
        assert 25_000 < ctx.json()["remaining"] <= 30_000
        report = emu.report(request_id)
        log = emu.log()
        assert f"START RequestId: {request_id} Version: $LATEST" in log
        assert f"END RequestId: {request_id}" in log
        fields = dict(part.split(": ", 1) for part in report.split("\t")[1:] if part)
        assert fields["Memory Size"] == "256 MB"
        assert int(fields["Max Memory Used"].split()[0]) > 5
        assert "Init Duration" in fields  # the first invocation after init is a cold start
        assert float(fields["Init Duration"].split()[0]) > 1


def test_function_error_is_unhandled() -> None:
    with emulator(python_runtime("app.handler")) as emu:
        resp = emu.invoke({"action": "fail"})
        assert resp.status_code == 200
        assert resp.headers["X-Amz-Function-Error"] == "Unhandled"
        assert resp.json()["errorType"] == "ValueError"
        assert resp.json()["errorMessage"] == "function failed"
        assert emu.invoke({"after": 1}).json()["echo"] == {"after": 1}


def test_timeout_recycles_the_environment() -> None:
    with emulator(python_runtime("app.handler"), timeout_s=1) as emu:
        first_pid = emu.invoke({}).json()["pid"]
        resp = emu.invoke({"action": "sleep", "seconds": 5})
        assert resp.status_code == 200
        assert resp.headers["X-Amz-Function-Error"] == "Unhandled"
        body = resp.json()
        assert body["errorType"] == "Sandbox.Timedout"
        request_id = resp.headers["x-amzn-RequestId"]
        assert body["errorMessage"] == (
            f"RequestId: {request_id} Error: Task timed out after 1.00 seconds"
        )
        after = emu.invoke({"again": True})
        assert after.json()["echo"] == {"again": True}
        assert after.json()["pid"] != first_pid


def test_crash_is_runtime_exit_error_and_recovers() -> None:
    with emulator(python_runtime("app.handler")) as emu:
        resp = emu.invoke({"action": "crash", "code": 3})
        assert resp.headers["X-Amz-Function-Error"] == "Unhandled"
        body = resp.json()
        assert body["errorType"] == "Runtime.ExitError"
        request_id = resp.headers["x-amzn-RequestId"]
        assert body["errorMessage"] == (
            f"RequestId: {request_id} Error: Runtime exited with error: exit status 3"
        )
        assert emu.invoke({"n": 2}).json()["echo"] == {"n": 2}


def test_init_error_is_returned_on_every_invoke() -> None:
    with emulator(python_runtime("broken.handler")) as emu:
        for _ in range(2):
            resp = emu.invoke({})
            assert resp.status_code == 200
            assert resp.headers["X-Amz-Function-Error"] == "Unhandled"
            assert resp.json()["errorType"] == "Runtime.ImportModuleError"
            assert resp.json()["errorMessage"] == (
                "Unable to import module 'broken': No module named 'does_not_exist'"
            )


def test_payload_limits_both_ways() -> None:
    with emulator(python_runtime("app.handler")) as emu:
        resp = emu.invoke(data=b'"' + b"x" * (6 * 1024 * 1024) + b'"')
        assert resp.status_code == 413
        assert resp.headers["x-amzn-ErrorType"] == "RequestEntityTooLargeException"
        assert "6291456 bytes" in resp.json()["message"]
        resp = emu.invoke({"action": "big", "size": 7 * 1024 * 1024})
        assert resp.status_code == 200
        assert resp.headers["X-Amz-Function-Error"] == "Unhandled"
        assert resp.json()["errorType"] == "Function.ResponseSizeTooLarge"
        assert emu.invoke({"ok": 1}).json()["echo"] == {"ok": 1}


def test_busy_environment_gives_429() -> None:
    with emulator(python_runtime("app.handler"), max_concurrency=1) as emu:
        emu.invoke({})  # warm
        with ThreadPoolExecutor(2) as pool:
            slow = pool.submit(emu.invoke, {"action": "sleep", "seconds": 1.5})
            threading.Event().wait(0.5)
            rejected = emu.invoke({})
            assert slow.result().status_code == 200
        assert rejected.status_code == 429
        assert rejected.headers["x-amzn-ErrorType"] == "TooManyRequestsException"
        assert rejected.json() == {"Type": "User", "message": "Rate Exceeded."}


def test_parallel_callers_over_four_environments_lose_nothing() -> None:
    import requests

    with emulator(python_runtime("app.handler"), max_concurrency=4) as emu:

        def caller(worker: int) -> tuple[list[str], int]:
            ids, throttled = [], 0
            with requests.Session() as session:
                for i in range(50):
                    while True:  # retry throttled calls, as the AWS SDKs do
                        resp = session.post(emu.url, json={"w": worker, "i": i}, timeout=60)
                        if resp.status_code != 429:
                            break
                        throttled += 1
                        threading.Event().wait(0.002)
                    assert resp.status_code == 200
                    assert resp.json()["echo"] == {"w": worker, "i": i}
                    ids.append(resp.headers["x-amzn-RequestId"])
            return ids, throttled

        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(caller, range(8)))
        environments = len(emu.emulator.pool.environments)
    ids = [request_id for got, _ in results for request_id in got]
    assert len(ids) == 400
    assert len(set(ids)) == 400, "a request id was answered twice"
    starts = Counter(line.split()[2] for line in emu.lines if line.startswith("START "))
    assert set(starts) == set(ids), "an invocation was lost or ran without an answer"
    assert all(count == 1 for count in starts.values()), "an invocation ran twice"
    assert environments == 4


def test_event_invocation_runs_once_and_dry_run(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    with emulator(python_runtime("app.handler")) as emu:
        resp = emu.invoke(
            {"action": "touch", "path": str(marker)}, headers={"X-Amz-Invocation-Type": "Event"}
        )
        assert resp.status_code == 202
        assert resp.content == b""
        dry = emu.invoke({}, headers={"X-Amz-Invocation-Type": "DryRun"})
        assert dry.status_code == 204
        emu.invoke({})  # the queue is served first-come: by now the event has run
        for _ in range(100):
            if marker.exists():
                break
            threading.Event().wait(0.05)
    assert marker.read_text().splitlines() == [resp.headers["x-amzn-RequestId"]]


def test_log_tail_and_client_context() -> None:
    with emulator(python_runtime("app.handler")) as emu:
        context = base64.b64encode(json.dumps({"custom": {"k": "v"}}).encode()).decode()
        resp = emu.invoke(
            {"action": "context"},
            headers={"X-Amz-Log-Type": "Tail", "X-Amz-Client-Context": context},
        )
        assert resp.json()["custom"] == {"k": "v"}
        tail = base64.b64decode(resp.headers["X-Amz-Log-Result"]).decode()
        assert tail.startswith("START RequestId: ")
        assert "\nREPORT RequestId: " in tail
        bad = emu.invoke({}, headers={"X-Amz-Client-Context": "%%%"})
        assert bad.status_code == 400
        assert bad.headers["x-amzn-ErrorType"] == "InvalidRequestContentException"


def test_boto3_client_against_the_emulator(monkeypatch: pytest.MonkeyPatch) -> None:
    boto3 = pytest.importorskip("boto3")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    with emulator(python_runtime("app.handler")) as emu:
        client = boto3.client("lambda", endpoint_url=emu.base_url, region_name="us-east-1")
        out = client.invoke(
            FunctionName="function",
            Payload=b'{"sdk": true}',
            LogType="Tail",
            ClientContext=base64.b64encode(b'{"custom": {"a": 1}}').decode(),
        )
        assert out["StatusCode"] == 200
        assert json.loads(out["Payload"].read())["echo"] == {"sdk": True}
        assert "REPORT RequestId" in base64.b64decode(out["LogResult"]).decode()
        failed = client.invoke(FunctionName="function", Payload=b'{"action": "fail"}')
        assert failed["FunctionError"] == "Unhandled"
        assert json.loads(failed["Payload"].read())["errorType"] == "ValueError"
        event = client.invoke(FunctionName="function", InvocationType="Event", Payload=b"{}")
        assert event["StatusCode"] == 202
        client.close()


def test_bash_custom_runtime_and_early_answer(tmp_path: Path) -> None:
    marker = tmp_path / "after"
    env = {"SLOW_AFTER_RESPONSE": "1", "MARKER": str(marker)}
    with emulator([str(SCENARIOS / "bash_runtime" / "bootstrap")], env=env) as emu:
        resp = emu.invoke({"n": 1})
        # The answer arrives as soon as the runtime posts it, before its next /next.
        assert not marker.exists()
        assert resp.json() == {"bash": {"n": 1}}


def test_lambdabox_invoke_command(capsys: pytest.CaptureFixture[str]) -> None:
    from lambdabox.cli import main

    with emulator(python_runtime("app.handler")) as emu:
        code = main(["invoke", "--url", emu.base_url, "--payload", '{"cli": 1}', "--json"])
        doc = json.loads(capsys.readouterr().out)
        assert code == 0
        assert json.loads(doc["payload"])["echo"] == {"cli": 1}
        assert doc["report"].startswith("REPORT RequestId: ")
        code = main(["invoke", "--url", emu.base_url, "--payload", '{"action": "fail"}'])
        captured = capsys.readouterr()
        assert code == 1
        assert "function error: Unhandled" in captured.err


def test_response_streaming_endpoint_with_boto3(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    boto3 = pytest.importorskip("boto3")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    gate = tmp_path / "gate"
    with emulator(python_runtime("app.gated"), cwd=SCENARIOS / "streaming") as emu:
        client = boto3.client("lambda", endpoint_url=emu.base_url, region_name="us-east-1")
        out = client.invoke_with_response_stream(
            FunctionName="function", Payload=json.dumps({"gate": str(gate)}).encode()
        )
        chunks, complete = [], None
        for event in out["EventStream"]:
            if "PayloadChunk" in event:
                chunks.append(event["PayloadChunk"]["Payload"])
                # The handler makes the next chunk only once this one has arrived here.
                Path(f"{gate}.{len(chunks) - 1}").touch()
            elif "InvokeComplete" in event:
                complete = event["InvokeComplete"]
        assert chunks == [b"part-0;", b"part-1;"]
        assert complete == {}
    with emulator(python_runtime("app.handler"), cwd=SCENARIOS / "streaming") as emu:
        client = boto3.client("lambda", endpoint_url=emu.base_url, region_name="us-east-1")
        failed = client.invoke_with_response_stream(
            FunctionName="function",
            Payload=json.dumps({"chunks": 1, "gap": 0, "fail_after": True}).encode(),
        )
        events = list(failed["EventStream"])
        assert events[0]["PayloadChunk"]["Payload"] == b"chunk-0\n"
        assert events[-1]["InvokeComplete"]["ErrorCode"] == "ValueError"
        assert events[-1]["InvokeComplete"]["ErrorDetails"] == "stream broke"
        client.close()


def test_qualifier_and_function_name_reach_the_arn() -> None:
    with emulator(python_runtime("app.handler")) as emu:
        url = emu.url.replace("/function/", "/scenario/") + "?Qualifier=live"
        got = emu.session.post(url, json={"action": "context"}, timeout=30).json()
        assert got["arn"] == "arn:aws:lambda:us-east-1:012345678912:function:scenario:live"


def test_curl_style_form_content_type_is_a_json_event() -> None:
    with emulator(python_runtime("app.handler")) as emu:
        resp = emu.invoke(
            data=b'{"from": "curl"}',
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert resp.json()["echo"] == {"from": "curl"}
