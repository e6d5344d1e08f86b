"""Log formats, levels, request ids and the telemetry fd frame format."""

from __future__ import annotations

import json
import os
import re
import struct
import time
from collections.abc import Callable

from lambdabox.testing import RuntimeAPIServer
from lambdabox.testing.runtime_process import RuntimeProcess

Start = Callable[..., RuntimeProcess]
TEXT_LINE = re.compile(r"^\[(\w+)\]\t\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\t([^\t]*)\t(.*)$")


def test_text_format_with_request_ids(api: RuntimeAPIServer, start_runtime: Start) -> None:
    runtime = start_runtime("logging_text", env={"AWS_LAMBDA_LOG_LEVEL": "INFO"})
    assert api.enqueue({"n": 1}, request_id="req-log-1").wait().body == b'"logged"'
    lines = runtime.output().splitlines()
    parsed = [m.groups() for m in map(TEXT_LINE.match, lines) if m]
    assert ("WARNING", "", "at import") in parsed
    assert ("INFO", "req-log-1", "info 1") in parsed
    assert ("ERROR", "req-log-1", "structured") in parsed
    assert not any(level == "DEBUG" for level, _, _ in parsed)
    assert "printed line" in lines
    assert "to stderr" in lines


def test_default_level_is_warning(api: RuntimeAPIServer, start_runtime: Start) -> None:
    runtime = start_runtime("logging_text")
    api.enqueue({"n": 2}).wait()
    assert "info 2" not in runtime.output()
    assert "structured" in runtime.output()


def test_json_format(api: RuntimeAPIServer, start_runtime: Start) -> None:
    runtime = start_runtime(
        "logging_text", env={"AWS_LAMBDA_LOG_FORMAT": "JSON", "AWS_LAMBDA_LOG_LEVEL": "DEBUG"}
    )
    api.enqueue({"n": 3}, request_id="req-json", tenant_id="t-1").wait()
    records = [json.loads(x) for x in runtime.output().splitlines() if x.startswith("{")]
    by_msg = {r["message"]: r for r in records}
    assert by_msg["at import"]["level"] == "WARNING"
    info = by_msg["info 3"]
    assert info["level"] == "INFO"
    assert info["requestId"] == "req-json"
    assert info["tenantId"] == "t-1"
    assert info["logger"] == "scenario"
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", info["timestamp"])
    assert by_msg["debug line"]["level"] == "DEBUG"
    assert by_msg["structured"]["customer"] == "c-1"
    caught = by_msg["caught"]
    assert caught["errorType"] == "KeyError"
    assert caught["errorMessage"] == "'k'"
    assert caught["location"].endswith(":handler:17")
    assert all("log_level" not in r for r in records)


def test_json_error_record_uses_level(api: RuntimeAPIServer, start_runtime: Start) -> None:
    runtime = start_runtime("errors", env={"AWS_LAMBDA_LOG_FORMAT": "json"})
    api.enqueue({"fail": True}).wait()
    records = [json.loads(x) for x in runtime.output().splitlines() if x.startswith("{")]
    error = next(r for r in records if r.get("errorType") == "CustomError")
    assert error["level"] == "ERROR"
    assert "log_level" not in error


def test_context_log_writes_verbatim(api: RuntimeAPIServer, start_runtime: Start) -> None:
    runtime = start_runtime("context", "app.log")
    api.enqueue({}).wait()
    assert "via context.log\n" in runtime.output()


def _read_frames(fd: int) -> list[tuple[int, int, str]]:
    os.set_blocking(fd, False)
    data = b""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            break
        if not chunk:
            break
        data += chunk
    frames = []
    while data:
        kind, length, stamp = struct.unpack(">IIQ", data[:16])
        frames.append((kind, stamp, data[16 : 16 + length].decode()))
        data = data[16 + length :]
    return frames


def test_telemetry_fd_frames(api: RuntimeAPIServer, start_runtime: Start) -> None:
    read_fd, write_fd = os.pipe()
    try:
        runtime = start_runtime(
            "telemetry", env={"_LAMBDA_TELEMETRY_LOG_FD": str(write_fd)}, pass_fds=(write_fd,)
        )
        os.close(write_fd)
        write_fd = -1
        before = time.time_ns() // 1000
        assert api.enqueue({}).wait().json() == {"fd_var": None}
        api.enqueue({"fail": True}).wait()
        frames = _read_frames(read_fd)
    finally:
        os.close(read_fd)
        if write_fd >= 0:
            os.close(write_fd)
    kinds = {msg.split("\t")[-1].strip() if "\t" in msg else msg: kind for kind, _, msg in frames}
    assert kinds["framed warning"] == 0xA55A0003
    assert kinds["context line"] == 0xA55A0003
    error = next((k, m) for k, _, m in frames if m.startswith("[ERROR] RuntimeError"))
    assert error[0] == 0xA55A0003
    assert "\nTraceback (most recent call last):\n" in error[1]
    assert all(before - 5_000_000 < stamp < before + 60_000_000 for _, stamp, _ in frames)
    assert "printed to stdout" in runtime.output()
    assert "framed warning" not in runtime.output()


def test_telemetry_levels_give_per_level_frame_types(
    api: RuntimeAPIServer, start_runtime: Start
) -> None:
    read_fd, write_fd = os.pipe()
    try:
        start_runtime(
            "telemetry",
            env={"_LAMBDA_TELEMETRY_LOG_FD": str(write_fd), "AWS_LAMBDA_LOG_FORMAT": "JSON"},
            pass_fds=(write_fd,),
        )
        os.close(write_fd)
        write_fd = -1
        api.enqueue({"fail": True}).wait()
        frames = _read_frames(read_fd)
    finally:
        os.close(read_fd)
        if write_fd >= 0:
            os.close(write_fd)
    warning = next(k for k, _, m in frames if '"framed warning"' in m)
    error = next(k for k, _, m in frames if '"errorType": "RuntimeError"' in m)
    assert (warning, error) == (0xA55A0012, 0xA55A0016)
