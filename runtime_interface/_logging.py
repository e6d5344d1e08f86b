"""Log sinks, unbuffered stdio and the per-invocation log state.

The `logging` package costs ~7 ms to import, so it is configured only when something
imports it (usually the user's module): a one-shot import hook wraps its loader and
installs our root handler right after `logging` finishes loading. Until then nothing
of it is paid for; our own error lines are formatted here directly.
"""

import io
import os
import sys
import time

from . import _codec
from . import protocol as p

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

ERROR_INDENT = "\u00a0"  # awslambdaric replaces leading spaces of trace lines with NBSP
LEVELS = {"CRITICAL": 50, "ERROR": 40, "WARNING": 30, "INFO": 20, "DEBUG": 10, "NOTSET": 0}
TEXT_FORMAT = "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n"
TEXT_DATEFMT = "%Y-%m-%dT%H:%M:%S"
JSON_DATEFMT = "%Y-%m-%dT%H:%M:%SZ"


class LogConfig:
    """AWS_LAMBDA_LOG_FORMAT and AWS_LAMBDA_LOG_LEVEL, parsed once."""

    __slots__ = ("json", "level")

    def __init__(self, log_format: "str | None", log_level: "str | None") -> None:
        self.json = (log_format or "").upper() == "JSON"
        level = (log_level or "").upper()
        level = "DEBUG" if level == "TRACE" else level
        self.level = level if level in LEVELS else ""

    def frame_type(self, levelno: int) -> int:
        """The telemetry frame type for a record of `levelno`."""
        if not (self.json or self.level):
            return p.FRAME_TEXT
        table = p.FRAME_JSON_LEVELS if self.json else p.FRAME_TEXT_LEVELS
        return table[min(50, max(0, levelno)) // 10]


class InvokeState:
    """The request and tenant id of the invocation in progress (read by log records)."""

    __slots__ = ("request_id", "tenant_id")

    def __init__(self) -> None:
        self.request_id = ""
        self.tenant_id: str | None = None


STATE = InvokeState()


class LogSink:
    """Where log records and error lines go."""

    config: "LogConfig"

    def log(self, msg: str, frame_type: "int | None" = None) -> None:
        raise NotImplementedError

    def log_error(self, lines: list[str]) -> None:
        raise NotImplementedError

    def close(self) -> None:
        pass


class StdoutSink(LogSink):
    """Logs to stdout; an error's lines are joined with CR so CloudWatch keeps one event."""

    def __init__(self, config: "LogConfig") -> None:
        self.config = config

    def log(self, msg: str, frame_type: "int | None" = None) -> None:
        sys.stdout.write(msg)

    def log_error(self, lines: list[str]) -> None:
        sys.stdout.write("\r".join(lines) + "\n")


class FramedSink(LogSink):
    """The _LAMBDA_TELEMETRY_LOG_FD protocol: type, length, timestamp (µs), message; big-endian."""

    def __init__(self, fd: int, config: "LogConfig") -> None:
        self.config = config
        self._file = io.FileIO(fd, "wb", closefd=True)

    def log(self, msg: str, frame_type: "int | None" = None) -> None:
        data = msg.encode("utf-8", "backslashreplace")
        stamp = time.time_ns() // 1000
        head = (
            (frame_type or p.FRAME_TEXT).to_bytes(4, "big")
            + len(data).to_bytes(4, "big")
            + stamp.to_bytes(8, "big")
        )
        self._file.write(head + data)

    def log_error(self, lines: list[str]) -> None:
        self.log("\n".join(lines), self.config.frame_type(40))

    def close(self) -> None:
        self._file.close()


def open_sink(environ: "dict[str, str] | os._Environ[str]", config: "LogConfig") -> "LogSink":
    """The telemetry fd sink when the platform gives one (and hide it from user code)."""
    fd = environ.pop("_LAMBDA_TELEMETRY_LOG_FD", None)
    if fd is not None and fd.isdigit():
        return FramedSink(int(fd), config)
    return StdoutSink(config)


def make_stdio_unbuffered() -> None:
    """What `python -u` does: text layers that write straight through to the fds."""
    for name, fd in (("stdout", 1), ("stderr", 2)):
        stream = getattr(sys, name)
        if stream is None or getattr(stream, "write_through", False):
            continue
        try:
            raw = io.FileIO(fd, "w", closefd=False)
        except OSError:
            continue
        wrapped = io.TextIOWrapper(
            raw,
            encoding=stream.encoding,
            errors=stream.errors,
            write_through=True,
        )
        setattr(sys, name, wrapped)


def error_lines(error: "dict[str, Any]", config: "LogConfig") -> list[str]:
    """The uncaught-error log line, as awslambdaric prints it."""
    if config.json:
        stamp = time.strftime(JSON_DATEFMT, time.gmtime())
        return [_codec.dumps({"timestamp": stamp, "level": "ERROR", **error})]
    head = "[ERROR]"
    if error.get("errorType"):
        head += " " + error["errorType"]
    if error.get("errorMessage"):
        head += (":" if error.get("errorType") else "") + " " + error["errorMessage"]
    lines = [head, "Traceback (most recent call last):"]
    for element in error.get("stackTrace") or []:
        if element == "":
            lines.append("")
        for line in element.splitlines():
            stripped = line.lstrip(" ")
            lines.append(ERROR_INDENT * (len(line) - len(stripped)) + stripped)
    return lines


def format_line(config: "LogConfig", levelname: str, message: str, logger: str = "root") -> str:
    """A record formatted as our root handler would, for lines emitted without `logging`."""
    now = time.time()
    if config.json:
        record: dict[str, object] = {
            "timestamp": time.strftime(JSON_DATEFMT, time.gmtime(now)),
            "level": levelname,
            "message": message,
            "logger": logger,
            "requestId": STATE.request_id,
        }
        return _codec.dumps_log(record) + "\n"
    stamp = time.strftime(TEXT_DATEFMT, time.gmtime(now))
    return f"[{levelname}]\t{stamp}.{int(now * 1000) % 1000:03d}Z\t{STATE.request_id}\t{message}\n"


def level_enabled(config: "LogConfig", levelname: str) -> bool:
    """Would the root logger emit a record of this level (default level WARNING)?"""
    threshold = LEVELS[config.level] if config.level else 30
    return LEVELS[levelname] >= threshold


def configure_logging_lazily(sink: "LogSink") -> None:
    """Install our root handler now if `logging` is loaded, else when it first is."""
    if "logging" in sys.modules:
        _configure(sink)
    else:
        sys.meta_path.insert(0, _LoggingImportHook(lambda: _configure(sink)))


def _configure(sink: "LogSink") -> None:
    from . import _logsetup

    _logsetup.configure(sink)


class _LoggingImportHook:
    """A meta path finder that fires once, after the `logging` module has executed."""

    def __init__(self, on_load: "Callable[[], None]") -> None:
        self._on_load = on_load

    def find_spec(self, name: str, path: "Any" = None, target: "Any" = None) -> "Any":
        if name != "logging":
            return None
        if self in sys.meta_path:
            sys.meta_path.remove(self)
        for finder in sys.meta_path:
            find = getattr(finder, "find_spec", None)
            spec = find(name, path, target) if find is not None else None
            if spec is not None:
                if spec.loader is not None:
                    spec.loader = _NotifyingLoader(spec.loader, self._on_load)
                return spec
        return None


class _NotifyingLoader:
    def __init__(self, inner: "Any", on_load: "Callable[[], None]") -> None:
        self._inner = inner
        self._on_load = on_load

    def create_module(self, spec: "Any") -> "Any":
        return self._inner.create_module(spec)

    def exec_module(self, module: "Any") -> None:
        self._inner.exec_module(module)
        self._on_load()

    def __getattr__(self, name: str) -> "Any":
        return getattr(self._inner, name)
