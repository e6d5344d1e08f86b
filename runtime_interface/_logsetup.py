"""The root logging handler: text or JSON records, request id on every record.

Imported only once the `logging` package is loaded (see `_logging`). JSON records use
`level` throughout (awslambdaric's error records once used `log_level`).
"""

from __future__ import annotations

import logging
import time
import traceback

from . import _codec
from ._logging import JSON_DATEFMT, STATE, TEXT_DATEFMT, TEXT_FORMAT, LogSink

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_RESERVED = frozenset(
    [
        *("name", "msg", "args", "levelname", "levelno", "pathname", "filename", "module"),
        *("exc_info", "exc_text", "stack_info", "lineno", "funcName", "created", "msecs"),
        *("relativeCreated", "thread", "threadName", "processName", "process", "taskName"),
        *("aws_request_id", "tenant_id", "message", "asctime"),
    ]
)


class RequestIdFilter(logging.Filter):
    """Stamps the current request and tenant id on each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = STATE.request_id
        record.tenant_id = STATE.tenant_id
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record, keys as the Lambda service's JSON log format."""

    def __init__(self) -> None:
        super().__init__(datefmt=JSON_DATEFMT)
        self.converter = time.gmtime

    def format(self, record: logging.LogRecord) -> str:
        exc = record.exc_info
        levelno = min(50, max(0, record.levelno)) // 10 * 10
        msg = record.msg
        failed = bool(exc and exc[0] is not None)
        result: dict[str, Any] = {  # awslambdaric's key order
            "timestamp": self.formatTime(record, self.datefmt),
            "level": logging.getLevelName(levelno),
            "message": msg if isinstance(msg, dict) and not record.args else record.getMessage(),
            "logger": record.name,
            "stackTrace": traceback.format_tb(exc[2]) if failed else None,  # type: ignore[index]
            "errorType": exc[0].__name__ if failed else None,  # type: ignore[index,union-attr]
            "errorMessage": str(exc[1]) if failed else None,  # type: ignore[index]
            "requestId": getattr(record, "aws_request_id", None),
            "location": f"{record.pathname}:{record.funcName}:{record.lineno}" if failed else None,
        }
        tenant = getattr(record, "tenant_id", None)
        if tenant is not None:
            result["tenantId"] = tenant
        for key, value in record.__dict__.items():
            if key not in _RESERVED and key not in result:
                result[key] = value
        clean = {k: v for k, v in result.items() if v is not None}
        try:
            return _codec.dumps_log(clean) + "\n"
        except (TypeError, ValueError):
            return _codec.dumps_log({k: _plain(v) for k, v in clean.items()}) + "\n"


def _plain(value: object) -> object:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)


class SinkHandler(logging.Handler):
    """Writes formatted records to the log sink, framed per level when configured."""

    def __init__(self, sink: LogSink) -> None:
        super().__init__()
        self.log_sink = sink  # the attribute name awslambdaric's context.log() looks for

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
            self.log_sink.log(line, self.log_sink.config.frame_type(record.levelno))
        except Exception:
            self.handleError(record)


def configure(sink: LogSink) -> None:
    """Attach our handler to the root logger and apply AWS_LAMBDA_LOG_LEVEL."""
    config = sink.config
    handler = SinkHandler(sink)
    if config.json:
        handler.setFormatter(JsonFormatter())
    else:
        text = logging.Formatter(TEXT_FORMAT, TEXT_DATEFMT)
        text.converter = time.gmtime
        handler.setFormatter(text)
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    if config.level:
        root.setLevel(config.level)
