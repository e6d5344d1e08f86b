"""Descriptors, image manifests and image indexes (OCI image-spec v1.1) with canonical JSON."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from . import media_types
from .digest import Digest
from .errors import BuilderError
from .reproducible import canonical_json

__all__ = [
    "ANNOTATION_BASE_DIGEST",
    "ANNOTATION_BASE_NAME",
    "ANNOTATION_REF_NAME",
    "Descriptor",
    "Index",
    "Manifest",
    "Platform",
]

ANNOTATION_REF_NAME = "org.opencontainers.image.ref.name"
"""The tag of a manifest in an OCI layout's index.json (and only there)."""
ANNOTATION_BASE_NAME = "org.opencontainers.image.base.name"
"""The base image's reference, e.g. docker.io/library/python:3.12 (for `crane rebase`)."""
ANNOTATION_BASE_DIGEST = "org.opencontainers.image.base.digest"
"""The base image's manifest digest."""


def _frozen(mapping: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(sorted(mapping.items())))


def _loads(data: bytes, what: str) -> dict[str, Any]:
    try:
        raw = json.loads(data)
    except ValueError as exc:
        raise BuilderError(f"{what} is not valid JSON: {exc}") from exc
    if not isinstance(raw, dict):
        raise BuilderError(f"{what} is not a JSON object")
    return raw


@dataclass(frozen=True)
class Platform:
    """The platform of an index entry: os/architecture[/variant]."""

    architecture: str
    os: str = "linux"
    variant: str | None = None

    def to_dict(self) -> dict[str, str]:
        raw = {"architecture": self.architecture, "os": self.os}
        if self.variant:
            raw["variant"] = self.variant
        return raw

    def __str__(self) -> str:
        return "/".join(filter(None, (self.os, self.architecture, self.variant)))


@dataclass(frozen=True)
class Descriptor:
    """A typed, sized, content-addressed reference to a blob."""

    media_type: str
    digest: Digest
    size: int
    annotations: Mapping[str, str] = field(default_factory=dict)
    platform: Platform | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "annotations", _frozen(self.annotations))

    def to_dict(self) -> dict[str, Any]:
        raw: dict[str, Any] = {
            "mediaType": self.media_type,
            "digest": str(self.digest),
            "size": self.size,
        }
        if self.annotations:
            raw["annotations"] = dict(self.annotations)
        if self.platform is not None:
            raw["platform"] = self.platform.to_dict()
        return raw

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Descriptor:
        try:
            size = raw["size"]
            if not isinstance(size, int) or size < 0:
                raise BuilderError(f"descriptor size {size!r} is not a byte count")
            platform = raw.get("platform")
            return cls(
                media_type=str(raw.get("mediaType", "")),
                digest=Digest.parse(raw["digest"]),
                size=size,
                annotations=raw.get("annotations") or {},
                platform=None
                if platform is None
                else Platform(platform["architecture"], platform["os"], platform.get("variant")),
            )
        except (KeyError, TypeError) as exc:
            raise BuilderError(f"descriptor {dict(raw)} lacks a field: {exc}") from exc


@dataclass(frozen=True)
class Manifest:
    """An image manifest: a config descriptor and layer descriptors, bottom layer first."""

    config: Descriptor
    layers: tuple[Descriptor, ...] = ()
    annotations: Mapping[str, str] = field(default_factory=dict)
    media_type: str = media_types.OCI_MANIFEST

    def __post_init__(self) -> None:
        object.__setattr__(self, "annotations", _frozen(self.annotations))

    def to_json(self) -> bytes:
        raw: dict[str, Any] = {
            "schemaVersion": 2,
            "mediaType": self.media_type,
            "config": self.config.to_dict(),
            "layers": [layer.to_dict() for layer in self.layers],
        }
        if self.annotations:
            raw["annotations"] = dict(self.annotations)
        return canonical_json(raw)

    @classmethod
    def from_json(cls, data: bytes) -> Manifest:
        raw = _loads(data, "image manifest")
        if raw.get("schemaVersion") != 2 or "config" not in raw:
            raise BuilderError("image manifest: not schemaVersion 2 with a config descriptor")
        return cls(
            config=Descriptor.from_dict(raw["config"]),
            layers=tuple(Descriptor.from_dict(layer) for layer in raw.get("layers") or ()),
            annotations=raw.get("annotations") or {},
            media_type=raw.get("mediaType", media_types.OCI_MANIFEST),
        )


@dataclass(frozen=True)
class Index:
    """An image index: descriptors of manifests (one per platform, or one per tag in a layout)."""

    manifests: tuple[Descriptor, ...] = ()
    annotations: Mapping[str, str] = field(default_factory=dict)
    media_type: str = media_types.OCI_INDEX

    def __post_init__(self) -> None:
        object.__setattr__(self, "annotations", _frozen(self.annotations))

    def to_json(self) -> bytes:
        raw: dict[str, Any] = {
            "schemaVersion": 2,
            "mediaType": self.media_type,
            "manifests": [manifest.to_dict() for manifest in self.manifests],
        }
        if self.annotations:
            raw["annotations"] = dict(self.annotations)
        return canonical_json(raw)

    @classmethod
    def from_json(cls, data: bytes) -> Index:
        raw = _loads(data, "image index")
        if raw.get("schemaVersion") != 2:
            raise BuilderError("image index: schemaVersion is not 2")
        return cls(
            manifests=tuple(Descriptor.from_dict(item) for item in raw.get("manifests") or ()),
            annotations=raw.get("annotations") or {},
            media_type=raw.get("mediaType", media_types.OCI_INDEX),
        )

    def tagged(self, tag: str) -> tuple[Descriptor, ...]:
        """The entries whose ref.name annotation is `tag`."""
        return tuple(d for d in self.manifests if d.annotations.get(ANNOTATION_REF_NAME) == tag)
