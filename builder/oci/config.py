"""The image configuration (OCI image-spec config.md), as a frozen value with canonical JSON."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from .digest import Digest
from .errors import BuilderError
from .reproducible import canonical_json

__all__ = ["History", "ImageConfig"]

_RUN_KEYS = {  # field name -> key in the "config" object
    "user": "User",
    "env": "Env",
    "entrypoint": "Entrypoint",
    "cmd": "Cmd",
    "workdir": "WorkingDir",
    "labels": "Labels",
    "exposed_ports": "ExposedPorts",
}
_TOP_KEYS = {"architecture", "os", "variant", "created", "author", "config", "rootfs", "history"}


def _frozen(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(sorted(mapping.items())))


@dataclass(frozen=True)
class History:
    """One step in the image's history; `empty_layer` steps changed only the config."""

    created_by: str = ""
    comment: str = ""
    created: str | None = None
    author: str | None = None
    empty_layer: bool = False

    def to_dict(self) -> dict[str, Any]:
        raw: dict[str, Any] = {"created_by": self.created_by, "comment": self.comment}
        raw.update(created=self.created, author=self.author, empty_layer=self.empty_layer)
        return {key: value for key, value in raw.items() if value not in (None, "", False)}

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> History:
        return cls(
            created_by=raw.get("created_by") or "",
            comment=raw.get("comment") or "",
            created=raw.get("created"),
            author=raw.get("author"),
            empty_layer=bool(raw.get("empty_layer", False)),
        )


@dataclass(frozen=True)
class ImageConfig:
    """What a container runs and from which layers. `extra`/`config_extra` keep unknown keys.

    `diff_ids` (sha256 of each uncompressed layer tar, bottom first) and `history` describe the
    layers; `Image` keeps them in step with its layers.
    """

    architecture: str = "amd64"
    os: str = "linux"
    variant: str | None = None
    created: str | None = None
    author: str | None = None
    user: str = ""
    env: tuple[str, ...] = ()
    entrypoint: tuple[str, ...] | None = None
    cmd: tuple[str, ...] | None = None
    workdir: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)
    exposed_ports: tuple[str, ...] = ()
    history: tuple[History, ...] = ()
    diff_ids: tuple[Digest, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict, repr=False)
    config_extra: Mapping[str, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for name in ("labels", "extra", "config_extra"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))
        for item in self.env:
            if "=" not in item:
                raise BuilderError(f"environment entry {item!r} is not KEY=VALUE")

    def env_value(self, key: str) -> str | None:
        """The value of environment variable `key`, or None."""
        for item in self.env:
            name, _, value = item.partition("=")
            if name == key:
                return value
        return None

    def with_env(self, key: str, value: str) -> ImageConfig:
        """A copy with `key=value` set, replacing `key` in place if it is already set."""
        if not key or "=" in key:
            raise BuilderError(f"{key!r} is not an environment variable name")
        item = f"{key}={value}"
        names = [entry.partition("=")[0] for entry in self.env]
        if key in names:
            env = tuple(item if name == key else old for name, old in zip(names, self.env))
        else:
            env = (*self.env, item)
        return replace(self, env=env)

    def with_labels(self, labels: Mapping[str, str]) -> ImageConfig:
        """A copy with `labels` added (replacing labels of the same name)."""
        return replace(self, labels={**self.labels, **labels})

    def _run_config(self) -> dict[str, Any]:
        run: dict[str, Any] = dict(self.config_extra)
        if self.user:
            run["User"] = self.user
        if self.env:
            run["Env"] = list(self.env)
        if self.entrypoint is not None:
            run["Entrypoint"] = list(self.entrypoint)
        if self.cmd is not None:
            run["Cmd"] = list(self.cmd)
        if self.workdir:
            run["WorkingDir"] = self.workdir
        if self.labels:
            run["Labels"] = dict(self.labels)
        if self.exposed_ports:
            run["ExposedPorts"] = {port: {} for port in self.exposed_ports}
        return run

    def to_dict(self) -> dict[str, Any]:
        """The config as JSON-ready data (empty fields left out)."""
        run = self._run_config()
        raw: dict[str, Any] = dict(self.extra)
        raw.update(architecture=self.architecture, os=self.os, config=run)
        raw["rootfs"] = {"type": "layers", "diff_ids": [str(d) for d in self.diff_ids]}
        if self.history:
            raw["history"] = [step.to_dict() for step in self.history]
        for key in ("variant", "created", "author"):
            if getattr(self, key) is not None:
                raw[key] = getattr(self, key)
        return raw

    def to_json(self) -> bytes:
        """Canonical bytes: sorted keys, separators (",", ":"), UTF-8."""
        return canonical_json(self.to_dict())

    @classmethod
    def from_json(cls, data: bytes) -> ImageConfig:
        """Parse config JSON, e.g. from `docker save` or skopeo; unknown keys go to `extra`."""
        try:
            raw = json.loads(data)
            return cls.from_dict(raw)
        except (ValueError, TypeError, AttributeError, KeyError) as exc:
            raise BuilderError(
                f"image config is not valid JSON of the expected shape: {exc}"
            ) from exc

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> ImageConfig:
        run = raw.get("config") or {}
        rootfs = raw.get("rootfs") or {}
        return cls(
            architecture=raw.get("architecture", ""),
            os=raw.get("os", ""),
            variant=raw.get("variant"),
            created=raw.get("created"),
            author=raw.get("author"),
            user=run.get("User") or "",
            env=tuple(run.get("Env") or ()),
            entrypoint=_opt_tuple(run.get("Entrypoint")),
            cmd=_opt_tuple(run.get("Cmd")),
            workdir=run.get("WorkingDir") or "",
            labels=run.get("Labels") or {},
            exposed_ports=tuple(sorted(run.get("ExposedPorts") or {})),
            history=tuple(History.from_dict(step) for step in raw.get("history") or ()),
            diff_ids=tuple(Digest.parse(d) for d in rootfs.get("diff_ids") or ()),
            extra={k: v for k, v in raw.items() if k not in _TOP_KEYS},
            config_extra={k: v for k, v in run.items() if k not in _RUN_KEYS.values()},
        )


def _opt_tuple(value: Sequence[str] | None) -> tuple[str, ...] | None:
    return None if value is None else tuple(value)
