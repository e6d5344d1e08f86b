"""A function under the emulator, driven over real HTTP: invoke, fault helpers, recycle."""

from __future__ import annotations

import base64
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from lambdabox.emulator.config import EmulatorConfig, FunctionConfig
from lambdabox.harness.result import InvocationResult
from lambdabox.harness.runner import BackgroundEmulator


class LambdaFunction:
    """One function, served by an emulator on 127.0.0.1 (ports chosen by the OS)."""

    def __init__(self, config: EmulatorConfig) -> None:
        import requests

        self.config = config
        self.emulator = BackgroundEmulator(config)
        self._session = requests.Session()

    @classmethod
    def from_handler(
        cls,
        handler: str,
        *,
        root: str | Path = ".",
        timeout: float = 30,
        memory: int = 128,
        env: Mapping[str, str] | None = None,
        concurrency: int = 1,
        python: str = sys.executable,
        name: str = "function",
    ) -> LambdaFunction:
        """Process mode: `python -m runtime_interface HANDLER` run in `root`."""
        config = EmulatorConfig(
            command=(python, "-m", "runtime_interface", handler),
            cwd=str(Path(root).resolve()),
            handler=handler,
            function=FunctionConfig(name=name, timeout_s=timeout, memory_mb=memory),
            runtime_env=dict(env or {}),
            invoke_port=0,
            runtime_api_port=0,
            max_concurrency=concurrency,
            extensions_dir=None,
        )
        return cls(config)

    @classmethod
    def from_image(
        cls,
        image: str,
        *,
        timeout: float = 30,
        memory: int = 128,
        env: Mapping[str, str] | None = None,
        concurrency: int = 1,
        handler: str | None = None,
        name: str = "function",
    ) -> LambdaFunction:
        """Container mode: each environment a hardened container of `image`."""
        import uuid

        from lambdabox.emulator.container import ContainerDriver

        env_vars = dict(env or {})
        driver = ContainerDriver(
            image,
            run_id=f"h{uuid.uuid4().hex[:10]}",
            memory_mb=memory,
            command=[handler] if handler else None,
            extra_env=env_vars,
        )
        config = EmulatorConfig(
            command=(),
            driver=driver,
            handler=handler,
            function=FunctionConfig(name=name, timeout_s=timeout, memory_mb=memory),
            runtime_env=env_vars,
            invoke_port=0,
            runtime_api_port=0,
            max_concurrency=concurrency,
        )
        return cls(config)

    def start(self) -> LambdaFunction:
        self.emulator.start()
        return self

    def close(self) -> None:
        try:
            self.emulator.stop()
        finally:
            self._session.close()
            driver = self.config.driver
            close = getattr(driver, "cleanup", None)
            if close is not None:
                close()

    def __enter__(self) -> LambdaFunction:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def invoke(
        self,
        event: Any = None,
        *,
        raw: bytes | None = None,
        client_context: Mapping[str, Any] | None = None,
        invocation_type: str = "RequestResponse",
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> InvocationResult:
        """Invoke once and return the typed result (with this invocation's log)."""
        body = raw if raw is not None else json.dumps({} if event is None else event).encode()
        sent = {
            "X-Amz-Invocation-Type": invocation_type,
            "X-Amz-Log-Type": "Tail",
            "Content-Type": "application/json",
            **(headers or {}),
        }
        if client_context is not None:
            sent["X-Amz-Client-Context"] = base64.b64encode(
                json.dumps(client_context).encode()
            ).decode()
        return self._post(self._session, body, sent, timeout)

    def _post(
        self, session: Any, body: bytes, headers: Mapping[str, str], timeout: float | None
    ) -> InvocationResult:
        limit = timeout if timeout is not None else self.config.function.timeout_s + 30
        resp = session.post(self.emulator.url, data=body, headers=headers, timeout=limit)
        request_id = resp.headers.get("x-amzn-RequestId", "")
        logs = self.emulator.recent_logs(request_id)
        if logs is None:  # evicted or not an emulator we run: fall back to the 4 KB tail
            tail = resp.headers.get("X-Amz-Log-Result", "")
            logs = base64.b64decode(tail).decode("utf-8", "replace").splitlines() if tail else []
        return InvocationResult.from_response(resp, logs)

    def invoke_expecting_timeout(self, event: Any = None) -> InvocationResult:
        """Invoke, and fail unless the invocation timed out (Sandbox.Timedout)."""
        result = self.invoke(event)
        if result.error_type != "Sandbox.Timedout":
            raise AssertionError(
                f"expected the invocation to time out after {self.config.function.timeout_s} s, "
                f"got {result.error_type or 'a result'}: {result.raw[:200]!r}"
            )
        return result

    def invoke_concurrently(
        self, events: Iterable[Any], workers: int | None = None
    ) -> list[InvocationResult]:
        """Invoke all `events` from parallel callers; results in the same order."""
        items: Sequence[Any] = list(events)
        with ThreadPoolExecutor(workers or max(1, len(items))) as pool:
            return list(pool.map(self._invoke_fresh, items))

    def _invoke_fresh(self, event: Any) -> InvocationResult:
        import requests

        headers = {"X-Amz-Log-Type": "Tail", "Content-Type": "application/json"}
        with requests.Session() as session:  # one connection per caller, as real clients
            return self._post(session, json.dumps(event).encode(), headers, None)

    def recycle(self) -> None:
        """Stop the environments: the next invocation is a cold start."""
        self.emulator.recycle()

    @property
    def url(self) -> str:
        return self.emulator.url
