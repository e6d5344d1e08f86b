"""`FunctionInvoker` over emulators running in this process, one per function."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from lambdabox.emulator.invocation import Invocation
from lambdabox.emulator.server import Emulator
from lambdabox.triggers.ports import Answer, UnknownFunction


@dataclass(frozen=True)
class Call:
    """An invocation made through the invoker (by a trigger): function path, kind, event."""

    function: str
    kind: str  # "RequestResponse" or "Event"
    payload: bytes
    request_id: str


class EmulatorInvoker:
    """Invoke functions by logical id, name or ARN; each runs in its own `Emulator`.

    `functions` maps each function's logical id (its `Resource.path`) to its emulator; the
    emulators must be started on the running event loop. A nested stack's function is also
    found by its path with `/` (as `sam` writes it: `Child/Inner`) and by its name.
    """

    def __init__(self, functions: Mapping[str, Emulator]) -> None:
        self._functions: dict[str, Emulator] = {}
        self._aliases: dict[str, str] = {}
        self._observers: list[Callable[[Call], None]] = []
        self.replace(functions)

    def observe(self, observer: Callable[[Call], None]) -> None:
        """Call `observer` with every invocation made through this invoker (tests)."""
        self._observers.append(observer)

    def _tell(self, call: Call) -> None:
        for observer in self._observers:
            observer(call)

    def replace(self, functions: Mapping[str, Emulator]) -> None:
        """Serve these emulators from now on (hot reload swaps a function's emulator)."""
        aliases: dict[str, str] = {}
        for logical_id, emulator in functions.items():
            fn = emulator.config.function
            aliases[fn.name] = logical_id
            aliases[fn.arn] = logical_id
            aliases[logical_id.replace(".", "/")] = logical_id
        self._functions, self._aliases = dict(functions), aliases

    def functions(self) -> dict[str, Emulator]:
        """The emulators by logical id (path)."""
        return dict(self._functions)

    def _key(self, function: str) -> str:
        return next(k for k, e in self._functions.items() if e is self.emulator(function))

    def emulator(self, function: str) -> Emulator:
        """The emulator of `function` (logical id, FunctionName, ARN, or ARN:qualifier)."""
        key = function if function in self._functions else self._aliases.get(function)
        if key is None and function.startswith("arn:"):
            key = self._aliases.get(function.rsplit(":", 1)[0])
        if key is None:
            known = ", ".join(sorted(self._functions)) or "none"
            raise UnknownFunction(f"no function {function!r} in this application (known: {known})")
        return self._functions[key]

    def function_arn(self, function: str) -> str:
        return self.emulator(function).config.function.arn

    def function_concurrency(self, function: str) -> int:
        return self.emulator(function).config.max_concurrency

    async def invoke(
        self,
        function: str,
        payload: bytes,
        *,
        content_type: str = "application/json",
        stream: asyncio.Queue[bytes | None] | None = None,
        wait: bool = False,
    ) -> Answer:
        emulator = self.emulator(function)
        fn = emulator.config.function
        inv = Invocation(
            payload=payload, arn=fn.arn, timeout_s=fn.timeout_s, content_type=content_type
        )
        inv.stream = stream
        if self._observers:
            self._tell(Call(self._key(function), "RequestResponse", payload, inv.request_id))
        outcome = await emulator.pool.invoke(inv, wait=wait)
        return Answer(inv.request_id, outcome)

    async def invoke_event(self, function: str, payload: bytes) -> str:
        emulator = self.emulator(function)
        fn = emulator.config.function
        inv = Invocation(payload=payload, arn=fn.arn, timeout_s=fn.timeout_s)
        if self._observers:
            self._tell(Call(self._key(function), "Event", payload, inv.request_id))
        await emulator.invoke_api.accept_event(inv)
        return inv.request_id
