"""The invoke loop: init once, then next -> handler -> response or error, forever.

A handler's failure is reported to the API and the loop goes on; a failure of the
Runtime API itself raises out to `__main__`, which exits with a documented status.
"""

import os
import sys

from . import _codec
from . import protocol as p
from ._context import LambdaContext
from ._errors import FaultError, RuntimeAPIError
from ._handler import load_handler
from ._logging import STATE, error_lines, format_line, level_enabled

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from typing import Any

    from ._client import RuntimeAPIClient
    from ._config import Config
    from ._logging import LogSink
    from ._messages import ErrorPayload, InvocationRequest

EXIT_INIT_ERROR = 1
EXIT_BEFORE_SNAPSHOT_ERROR = 64
EXIT_AFTER_RESTORE_ERROR = 65

UNHANDLED_WARNING = (
    "LAMBDA_WARNING: Unhandled exception. The most likely cause is an issue in the function "
    "code. However, in rare cases, a Lambda runtime update can cause unexpected function "
    "behavior. For functions using managed runtimes, runtime updates can be triggered by a "
    "function change, or can be applied automatically. To determine if the runtime has been "
    "updated, check the runtime version in the INIT_START log entry. If this error correlates "
    "with a change in the runtime version, you may be able to mitigate this error by "
    "temporarily rolling back to the previous runtime version. For more information, see "
    "https://docs.aws.amazon.com/lambda/latest/dg/runtimes-update.html\r"
)


# `_memory.LARGE`, repeated here so that `_memory` loads with the first large payload only.
LARGE_PAYLOAD = 256 * 1024
TRACE_ENV = "_X_AMZN_TRACE_ID"
# CPython's os.environ keeps its entries in a dict, `_data`, keyed by `encodekey(name)`:
# the name's bytes on POSIX, upper-cased on Windows.
_TRACE_ENV_KEY: object = TRACE_ENV.encode("ascii") if os.name == "posix" else TRACE_ENV.upper()
# Results that are never awaitables, iterators or async iterators: no `hasattr` probes.
_PLAIN = frozenset((dict, list, str, int, float, bool, type(None), bytes, tuple))


class InitFailed(Exception):
    """Init failed and was reported; the process must exit with `code`."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


class Runtime:
    """One runtime worker: a client, a handler and a log sink."""

    def __init__(self, config: "Config", client: "RuntimeAPIClient", sink: "LogSink") -> None:
        self.config = config
        self.client = client
        self.sink = sink
        self.handler: Callable[..., Any] | None = None
        self._event_loop: Any = None

    def init(self) -> None:
        """Import the handler (and run SnapStart hooks); report failures, raise InitFailed."""
        try:
            self.handler = load_handler(self.config.handler)
        except Exception as exc:
            error = _from_exception(exc)
            if level_enabled(self.sink.config, "WARNING"):
                self.sink.log(format_line(self.sink.config, "WARNING", UNHANDLED_WARNING))
            self._log_error(error)
            self.client.post_init_error(error)
            raise InitFailed(
                EXIT_INIT_ERROR, f"{error.error_type}: {error.error_message}"
            ) from None
        if self.config.init_type == "snap-start":
            self._snapstart()

    def _snapstart(self) -> None:
        from . import snapstart

        try:
            snapstart.run_before_snapshot()
            self.client.restore_next()
        except Exception as exc:
            error = _from_exception(exc)
            self._log_error(error)
            self.client.post_init_error(error, p.BEFORE_SNAPSHOT_ERROR)
            raise InitFailed(EXIT_BEFORE_SNAPSHOT_ERROR, error.error_message) from None
        try:
            snapstart.run_after_restore()
        except Exception as exc:
            error = _from_exception(exc)
            self._log_error(error)
            self.client.post_restore_error(error, p.AFTER_RESTORE_ERROR)
            raise InitFailed(EXIT_AFTER_RESTORE_ERROR, error.error_message) from None

    def run_forever(self) -> None:
        next_invocation = self.client.next
        handle = self.handle
        while True:
            handle(next_invocation())

    def handle(self, inv: "InvocationRequest") -> None:
        """Run one invocation and post its outcome."""
        STATE.request_id = inv.request_id
        STATE.tenant_id = inv.tenant_id
        if inv.trace_id is not None:
            os.environ[TRACE_ENV] = inv.trace_id
        elif _trace_env_set():
            del os.environ[TRACE_ENV]
        if len(inv.body) >= LARGE_PAYLOAD:
            _large_payload(len(inv.body))
        try:
            context = LambdaContext(inv, self.config.settings, self.sink.log)
            result = self.handler(_decode(inv), context)  # type: ignore[misc]
            if type(result) not in _PLAIN:
                if hasattr(result, "__await__"):
                    result = self._run_async(result)
                if hasattr(result, "__next__") or hasattr(result, "__anext__"):
                    self._stream(inv, result)
                    return
            body, content_type = _encode(result)
            if len(body) >= LARGE_PAYLOAD:
                _large_payload(len(body))
        except Exception as exc:
            self._fail(inv, _from_exception(exc, inv.request_id))
            return
        try:
            self.client.post_response(inv, body, content_type)
        except RuntimeAPIError as exc:
            if exc.status is None:
                raise
            _refused(inv, exc)

    def _fail(self, inv: "InvocationRequest", error: "ErrorPayload") -> None:
        self._log_error(error)
        _answer(inv, self.client.post_error, inv, error)

    def _log_error(self, error: "ErrorPayload") -> None:
        self.sink.log_error(error_lines(error.to_dict(), self.sink.config))

    def _loop(self) -> "Any":
        if self._event_loop is None:
            import asyncio

            self._event_loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self._event_loop)
        return self._event_loop

    def _run_async(self, awaitable: "Any") -> "Any":
        return self._loop().run_until_complete(awaitable)

    def _items(self, result: "Any") -> "Iterator[Any]":
        if not hasattr(result, "__anext__"):
            yield from result
            return
        loop = self._loop()
        while True:
            try:
                yield loop.run_until_complete(result.__anext__())
            except StopAsyncIteration:
                return

    def _stream(self, inv: "InvocationRequest", result: "Any") -> None:
        items = self._items(result)
        try:  # a stream that fails before its first chunk is an ordinary error
            first = [_chunk(item) for item in _take_one(items)]
        except Exception as exc:
            self._fail(inv, _from_exception(exc, inv.request_id))
            return
        failure: list[ErrorPayload] = []

        def chunks() -> "Iterator[bytes]":
            yield from first
            try:
                for item in items:
                    yield _chunk(item)
            except Exception as exc:
                error = _from_exception(exc, inv.request_id)
                self._log_error(error)
                failure.append(error)

        _answer(inv, self.client.post_stream, inv, chunks(), p.CONTENT_TYPE_STREAM, failure)


def _answer(inv: "InvocationRequest", post: "Callable[..., None]", *args: "Any") -> None:
    """A refused post (413, stale id) ends this invocation, not the runtime; a lost API does."""
    try:
        post(*args)
    except RuntimeAPIError as exc:
        if exc.status is None:
            raise
        _refused(inv, exc)


def _refused(inv: "InvocationRequest", exc: "RuntimeAPIError") -> None:
    sys.stderr.write(f"runtime_interface: invocation {inv.request_id}: {exc}\n")


def _trace_env_set() -> bool:
    """Whether `_X_AMZN_TRACE_ID` is in the environment, without the KeyError that
    `os.environ`'s own membership test raises and catches when it is not."""
    data = getattr(os.environ, "_data", None)
    if type(data) is not dict:  # pragma: no cover - not CPython's os.environ
        return TRACE_ENV in os.environ
    return _TRACE_ENV_KEY in data


def _from_exception(exc: "BaseException", request_id: str = "") -> "ErrorPayload":
    from ._faults import from_exception  # error paths only: one module less at start-up

    return from_exception(exc, request_id)


def _large_payload(size: int) -> None:
    from . import _memory

    _memory.note(size)


def _take_one(items: "Iterator[Any]") -> "list[Any]":
    for item in items:
        return [item]
    return []


def _decode(inv: "InvocationRequest") -> "Any":
    if not inv.is_json():
        return bytes(inv.body)
    try:
        return _codec.loads(inv.body)
    except Exception as exc:
        raise FaultError(p.UNMARSHAL_ERROR, f"Unable to unmarshal input: {exc}") from None


def _encode(result: "Any") -> tuple[bytes, str]:
    if isinstance(result, (bytes, bytearray, memoryview)):
        return bytes(result), p.CONTENT_TYPE_BYTES
    try:
        return _codec.dumps(result).encode("utf-8"), p.CONTENT_TYPE_JSON
    except Exception as exc:
        raise FaultError(p.MARSHAL_ERROR, f"Unable to marshal response: {exc}") from None


def _chunk(item: "Any") -> bytes:
    if isinstance(item, (bytes, bytearray, memoryview)):
        return bytes(item)
    if isinstance(item, str):
        return item.encode("utf-8")
    return _encode(item)[0]
