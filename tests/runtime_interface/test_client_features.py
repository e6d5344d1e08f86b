"""SIGTERM, async handlers, response streaming, multi-concurrency and SnapStart hooks."""

from __future__ import annotations

import base64
import json
import signal
import time
from collections.abc import Callable
from pathlib import Path

from lambdabox.testing import RuntimeAPIServer
from lambdabox.testing.runtime_process import RuntimeProcess

Start = Callable[..., RuntimeProcess]


def test_sigterm_handler_runs_while_waiting_for_next(
    api: RuntimeAPIServer, start_runtime: Start, tmp_path: Path
) -> None:
    marker = tmp_path / "terminated"
    runtime = start_runtime("sigterm", env={"SIGTERM_MARKER": str(marker)})
    assert api.enqueue({}).wait().body == b'"ready"'
    deadline = time.monotonic() + 10
    while api.next_count < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    runtime.proc.send_signal(signal.SIGTERM)
    assert runtime.wait() == 0
    assert marker.read_text() == "graceful shutdown"


def test_async_handler_keeps_one_loop(api: RuntimeAPIServer, start_runtime: Start) -> None:
    start_runtime("async_handler")
    outs = [api.enqueue({}, request_id=f"a-{i}").wait().json() for i in range(3)]
    assert [o["n"] for o in outs] == [1, 2, 3]
    assert outs[-1]["loops"] == 1
    assert [o["request"] for o in outs] == ["a-0", "a-1", "a-2"]


def test_async_handler_error(api: RuntimeAPIServer, start_runtime: Start) -> None:
    start_runtime("async_handler", "app.fails")
    out = api.enqueue({}).wait()
    assert out.json()["errorType"] == "LookupError"
    assert out.json()["errorMessage"] == "async failure"


def test_async_generator_streams(api: RuntimeAPIServer, start_runtime: Start) -> None:
    start_runtime("async_handler", "app.agen")
    out = api.enqueue({}).wait()
    assert out.streamed
    assert out.body == b"part0;part1;part2;"


def test_streaming_sends_chunks_as_produced(api: RuntimeAPIServer, start_runtime: Start) -> None:
    start_runtime("streaming")
    out = api.enqueue({"chunks": 3, "gap": 0.2}).wait()
    assert out.kind == "response"
    assert out.streamed
    assert out.headers["lambda-runtime-function-response-mode"] == "streaming"
    assert out.body == b"chunk-0\nchunk-1\nchunk-2\n"
    datas = [data for _, data in out.chunks]
    assert datas == [b"chunk-0\n", b"chunk-1\n", b"chunk-2\n"]
    # Arrival order proves incremental delivery: each chunk arrived before the next was made.
    arrivals = [at for at, _ in out.chunks]
    assert arrivals == sorted(arrivals)
    assert arrivals[0] < arrivals[-1]
    assert out.trailers.get("lambda-runtime-function-error-type") in (None, "")


def test_streaming_error_goes_in_trailers(api: RuntimeAPIServer, start_runtime: Start) -> None:
    start_runtime("streaming")
    out = api.enqueue({"chunks": 2, "gap": 0, "fail_after": True}).wait()
    assert out.body == b"chunk-0\nchunk-1\n"
    assert out.trailers["lambda-runtime-function-error-type"] == "ValueError"
    body = json.loads(base64.b64decode(out.trailers["lambda-runtime-function-error-body"]))
    assert body["errorType"] == "ValueError"
    assert body["errorMessage"] == "stream broke"
    assert out.error_type == "ValueError"


def test_stream_failing_before_first_chunk_is_an_error(
    api: RuntimeAPIServer, start_runtime: Start
) -> None:
    start_runtime("streaming", "app.fails_first")
    out = api.enqueue({}).wait()
    assert out.kind == "error"
    assert out.json()["errorType"] == "TypeError"


def test_stream_of_mixed_items(api: RuntimeAPIServer, start_runtime: Start) -> None:
    start_runtime("streaming", "app.mixed")
    assert api.enqueue({}).wait().body == b'bytes;text;{"json": 1}'


def test_multi_concurrency_runs_workers_in_parallel(
    api: RuntimeAPIServer, start_runtime: Start, tmp_path: Path
) -> None:
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    runtime = start_runtime(
        "concurrency", env={"AWS_LAMBDA_MAX_CONCURRENCY": "3", "BARRIER_DIR": str(barrier)}
    )
    pending = [api.enqueue({"expected": 3}) for _ in range(3)]
    outs = [p.wait(30).json() for p in pending]
    assert len({o["pid"] for o in outs}) == 3
    assert {o["ppid"] for o in outs} == {runtime.proc.pid}
    runtime.proc.send_signal(signal.SIGTERM)
    assert runtime.wait() == 0  # the parent forwards SIGTERM, reaps its workers, exits 0


def test_snapstart_hooks_order(api: RuntimeAPIServer, start_runtime: Start, tmp_path: Path) -> None:
    order = tmp_path / "order"
    start_runtime(
        "snapstart", env={"AWS_LAMBDA_INITIALIZATION_TYPE": "snap-start", "ORDER_FILE": str(order)}
    )
    assert api.wait_restore_next(10)
    out = api.enqueue({}).wait()
    assert out.json() == ["before-2", "before-1", "after-1", "after-2"]


def test_snapstart_before_snapshot_failure(api: RuntimeAPIServer, start_runtime: Start) -> None:
    runtime = start_runtime(
        "snapstart_fail", env={"AWS_LAMBDA_INITIALIZATION_TYPE": "snap-start", "FAIL": "before"}
    )
    assert runtime.wait() == 64
    posted = api.wait_init_error(5)
    assert posted is not None
    assert posted.headers["lambda-runtime-function-error-type"] == "Runtime.BeforeSnapshotError"
    assert json.loads(posted.body)["errorType"] == "OSError"


def test_snapstart_after_restore_failure(api: RuntimeAPIServer, start_runtime: Start) -> None:
    runtime = start_runtime(
        "snapstart_fail", env={"AWS_LAMBDA_INITIALIZATION_TYPE": "snap-start", "FAIL": "after"}
    )
    assert runtime.wait() == 65
    assert len(api.restore_errors) == 1
    posted = api.restore_errors[0]
    assert posted.headers["lambda-runtime-function-error-type"] == "Runtime.AfterRestoreError"
    assert json.loads(posted.body)["errorMessage"] == "cannot reconnect"
