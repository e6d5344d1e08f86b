"""The Invoke API for every function of the application, on one port.

`POST /2015-03-31/functions/{FunctionName}/invocations` (and the response-streaming path)
where FunctionName is the function's name, its logical id (or nested path), or its ARN
(with or without a qualifier): the request is handed to that function's own Invoke API,
with the path rewritten to the function's name so the answer carries the right ARN. An
unknown name gets the service's 404 ResourceNotFoundException.
"""

from __future__ import annotations

from urllib.parse import quote, unquote

from lambdabox.app.invoker import EmulatorInvoker
from lambdabox.emulator import openapi
from lambdabox.emulator.httpserver import HTTPServer, Request, Responder
from lambdabox.emulator.invoke_api import service_error
from lambdabox.triggers.ports import UnknownFunction

_PATHS = (
    ("/2015-03-31/functions/", "/invocations"),
    ("/2021-11-15/functions/", "/response-streaming-invocations"),
)


class InvokeRouter:
    """Serve the Invoke API of all functions held by `invoker` on host:port."""

    def __init__(self, invoker: EmulatorInvoker, host: str, port: int, region: str, account: str):
        self._invoker = invoker
        self._region = region
        self._account = account
        self._server = HTTPServer(self.handle, host, port, name="app-invoke-api")

    @property
    def address(self) -> tuple[str, int]:
        return self._server.address

    @property
    def url(self) -> str:
        host, port = self.address
        return f"http://{host}:{port}"

    async def start(self) -> None:
        await self._server.start()

    async def close(self) -> None:
        await self._server.close()

    def replace_invoker(self, invoker: EmulatorInvoker) -> None:
        """Serve another set of functions from now on (hot reload)."""
        self._invoker = invoker

    async def handle(self, request: Request, responder: Responder) -> None:
        if request.path == "/openapi.json" and request.method == "GET":
            responder.send(200, [("Content-Type", "application/json")], openapi.INVOKE_API_JSON)
            return
        for prefix, suffix in _PATHS:
            if request.path.startswith(prefix) and request.path.endswith(suffix):
                name = unquote(request.path[len(prefix) : -len(suffix)])
                break
        else:
            service_error(
                responder, 404, "UnknownOperationException", f"Unknown path {request.path}"
            )
            return
        try:
            emulator = self._invoker.emulator(name)
        except UnknownFunction:
            arn = (
                name
                if name.startswith("arn:")
                else f"arn:aws:lambda:{self._region}:{self._account}:function:{name}"
            )
            service_error(responder, 404, "ResourceNotFoundException", f"Function not found: {arn}")
            return
        function_name = emulator.config.function.name
        request.path = f"{prefix}{quote(function_name, safe='')}{suffix}"
        await emulator.invoke_api.handle(request, responder)
