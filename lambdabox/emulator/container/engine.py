"""A narrow Docker Engine API client over the daemon's unix socket, with http.client.

`lambdabox run` makes a handful of calls on its cold path (image check, create, start,
inspect, then wait/kill/remove): importing the docker SDK for them costs ~90 ms of a
start-up that Docker's own create+start already makes ~150 ms long. `EngineClient` speaks
just those calls and is shaped like the SDK's client where the driver uses it
(`containers.create/get/list`, `images.get`, `close`; a container's `start/reload/attrs/
wait/kill/remove/get_archive`), so tests can still pass a docker SDK client instead. Exec
(extensions) goes through the docker SDK, imported only when an image has extensions.
Unversioned paths: the daemon answers with its own API version.
"""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote, urlencode

from lambdabox.emulator.container.docker_sdk import docker_socket


class EngineError(Exception):
    """The daemon answered with an error status; `explanation` is its message."""

    def __init__(self, status_code: int, explanation: str) -> None:
        super().__init__(f"{status_code}: {explanation}")
        self.status_code = status_code
        self.explanation = explanation


class NoDaemon(Exception):
    """No Docker daemon answers on the socket (or DOCKER_HOST is not a unix socket)."""


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float | None) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        if self.timeout is not None:
            sock.settimeout(self.timeout)
        try:
            sock.connect(self._path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


_SIZES = {"b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


def parse_bytes(value: int | str) -> int:
    """`512m` -> bytes, as the docker SDK reads mem_limit (b, k, m, g suffixes)."""
    if isinstance(value, int):
        return value
    text = value.strip().lower()
    if text and text[-1] in _SIZES:
        return int(text[:-1]) * _SIZES[text[-1]]
    return int(text)


# create() keyword -> (section, Engine API field, conversion); section "" is the top level.
_CREATE_FIELDS: dict[str, tuple[str, str, Any]] = {
    "command": ("", "Cmd", None),
    "environment": ("", "Env", lambda env: [f"{k}={v}" for k, v in env.items()]),
    "labels": ("", "Labels", None),
    "user": ("", "User", None),
    "stdin_open": ("", "OpenStdin", None),
    "tty": ("", "Tty", None),
    "network_mode": ("HostConfig", "NetworkMode", None),
    "read_only": ("HostConfig", "ReadonlyRootfs", None),
    "tmpfs": ("HostConfig", "Tmpfs", None),
    "mem_limit": ("HostConfig", "Memory", parse_bytes),
    "memswap_limit": ("HostConfig", "MemorySwap", parse_bytes),
    "pids_limit": ("HostConfig", "PidsLimit", None),
    "security_opt": ("HostConfig", "SecurityOpt", None),
    "cap_drop": ("HostConfig", "CapDrop", None),
    "cap_add": ("HostConfig", "CapAdd", None),
    "init": ("HostConfig", "Init", None),
}


def create_body(image: str, kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON body of POST /containers/create for the docker SDK's create() keywords."""
    unknown = sorted(set(kwargs) - set(_CREATE_FIELDS) - {"name"})
    if unknown:
        raise TypeError(
            f"EngineClient cannot create a container with {unknown}: add them to "
            "_CREATE_FIELDS in lambdabox/emulator/container/engine.py"
        )
    body: dict[str, Any] = {
        "Image": image,
        "AttachStdin": False,
        "AttachStdout": True,
        "AttachStderr": True,
        "StdinOnce": False,
        "HostConfig": {},
    }
    for key, value in kwargs.items():
        if key == "name" or value is None:
            continue
        section, field, convert = _CREATE_FIELDS[key]
        target = body["HostConfig"] if section else body
        target[field] = convert(value) if convert else value
    return body


class EngineClient:
    """The few Docker Engine API calls of the container driver (see the module doc)."""

    def __init__(self, socket_path: str | None = None, timeout: float | None = 60.0) -> None:
        path = socket_path or docker_socket()
        if path is None:
            raise NoDaemon("DOCKER_HOST is not a unix socket")
        self.socket_path = path
        self.timeout = timeout
        self.containers = _Containers(self)
        self.images = _Images(self)
        self._sdk: Any = None

    def request(
        self, method: str, path: str, body: Any = None, query: Mapping[str, Any] | None = None
    ) -> Any:
        """One call on its own connection (calls run in several threads at once): the
        decoded JSON answer (None when empty); EngineError on an error status."""
        data = self.raw(method, path, body, query)
        return json.loads(data) if data.strip() else None

    def raw(
        self,
        method: str,
        path: str,
        body: Any = None,
        query: Mapping[str, Any] | None = None,
        blocking: bool = False,
    ) -> bytes:
        """The body of one call's answer; `blocking`: no timeout (waits for a container)."""
        url = path + (f"?{urlencode(query)}" if query else "")
        payload = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if payload is not None else {}
        connection = _UnixConnection(self.socket_path, None if blocking else self.timeout)
        try:
            try:
                connection.request(method, url, payload, headers)
            except OSError as exc:
                raise NoDaemon(f"cannot reach {self.socket_path}: {exc}") from exc
            response = connection.getresponse()
            data = response.read()
        finally:
            connection.close()
        if response.status >= 400:
            raise EngineError(response.status, _message(data))
        return data

    @property
    def api(self) -> Any:
        """The docker SDK's low-level client on the same socket (exec needs it)."""
        if self._sdk is None:
            import docker  # type: ignore[import-untyped]

            self._sdk = docker.APIClient(base_url=f"unix://{self.socket_path}")
        return self._sdk

    def close(self) -> None:
        if self._sdk is not None:
            self._sdk.close()


def _message(data: bytes) -> str:
    try:
        return str(json.loads(data).get("message") or data.decode("utf-8", "replace"))
    except (ValueError, AttributeError):
        return data.decode("utf-8", "replace").strip()


class _Images:
    def __init__(self, client: EngineClient) -> None:
        self._client = client

    def get(self, name: str) -> dict[str, Any]:
        """The image's inspect document; EngineError 404 when the daemon lacks it."""
        answer: dict[str, Any] = self._client.request("GET", f"/images/{quote(name, safe='')}/json")
        return answer


class _Containers:
    def __init__(self, client: EngineClient) -> None:
        self._client = client

    def create(self, image: str, **kwargs: Any) -> Container:
        query = {"name": kwargs["name"]} if kwargs.get("name") else None
        answer = self._client.request(
            "POST", "/containers/create", create_body(image, kwargs), query
        )
        return Container(self._client, str(answer["Id"]))

    def get(self, container_id: str) -> Container:
        container = Container(self._client, container_id)
        container.reload()
        return container

    def list(self, all: bool = False, filters: Mapping[str, Any] | None = None) -> list[Container]:
        query: dict[str, Any] = {"all": "1" if all else "0"}
        if filters:
            query["filters"] = json.dumps(
                {k: v if isinstance(v, list) else [v] for k, v in filters.items()}
            )
        found = self._client.request("GET", "/containers/json", query=query) or []
        return [Container(self._client, str(item["Id"])) for item in found]


class Container:
    """A container, shaped like the docker SDK's where the driver uses it."""

    def __init__(self, client: EngineClient, container_id: str) -> None:
        self.client = client
        self.id = container_id
        self.attrs: dict[str, Any] = {}

    def start(self) -> None:
        self.client.request("POST", f"/containers/{self.id}/start")

    def reload(self) -> None:
        self.attrs = self.client.request("GET", f"/containers/{self.id}/json") or {}

    def wait(self) -> dict[str, Any]:
        """Blocks until the container has stopped: {"StatusCode": N, ...}."""
        answer: dict[str, Any] = json.loads(
            self.client.raw("POST", f"/containers/{self.id}/wait", blocking=True)
        )
        return answer

    def kill(self, signal: str | int = "SIGKILL") -> None:
        self.client.request("POST", f"/containers/{self.id}/kill", query={"signal": signal})

    def remove(self, force: bool = False) -> None:
        query = {"force": "1"} if force else None
        self.client.request("DELETE", f"/containers/{self.id}", query=query)

    def get_archive(self, path: str) -> tuple[Iterator[bytes], dict[str, Any]]:
        """A tar of `path` in the container (EngineError 404 when it does not exist)."""
        data = self.client.raw("GET", f"/containers/{self.id}/archive", query={"path": path})
        return iter([data]), {}
