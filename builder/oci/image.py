"""The image: an immutable value of layers and config. Changes return new images.

Manifest and config bytes, and the digest, are computed on first use, once. An image read from
a layout keeps its original manifest and config bytes (so its digest) until it is changed;
changed images are written with OCI media types and canonical JSON.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from types import MappingProxyType

from . import media_types
from .config import History, ImageConfig
from .digest import Digest
from .errors import BuilderError
from .layer import Layer
from .manifest import ANNOTATION_BASE_DIGEST, ANNOTATION_BASE_NAME, Descriptor, Manifest, Platform
from .reproducible import DEFAULT_EPOCH, rfc3339

__all__ = ["Image", "scratch"]


@dataclass(frozen=True, eq=False)
class Image:
    """Layers (bottom first) and the config that runs them; compare images by `digest`."""

    layers: tuple[Layer, ...] = ()
    config: ImageConfig = field(default_factory=ImageConfig)
    annotations: Mapping[str, str] = field(default_factory=dict)
    raw_manifest: bytes | None = field(default=None, repr=False)
    raw_config: bytes | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "layers", tuple(self.layers))
        object.__setattr__(self, "annotations", MappingProxyType(dict(self.annotations)))
        if len(self.config.diff_ids) != len(self.layers):
            raise BuilderError(
                f"the config lists {len(self.config.diff_ids)} diff_ids for "
                f"{len(self.layers)} layers; build images with with_layers()"
            )

    def with_layers(self, *layers: Layer) -> Image:
        """A new image with `layers` added on top, their diff_ids and history in the config."""
        history = _history_of(self) + tuple(layer.history for layer in layers)
        diff_ids = self.config.diff_ids + tuple(layer.diff_id for layer in layers)
        config = replace(self.config, diff_ids=diff_ids, history=history)
        return Image(self.layers + tuple(layers), config, self.annotations)

    def with_config(self, config: ImageConfig) -> Image:
        """A new image with `config` (which must keep this image's diff_ids)."""
        if config.diff_ids != self.config.diff_ids:
            raise BuilderError("with_config() cannot change diff_ids; use with_layers()")
        return Image(self.layers, config, self.annotations)

    def with_annotations(self, annotations: Mapping[str, str]) -> Image:
        """A new image with manifest `annotations` added (replacing ones of the same name)."""
        return Image(self.layers, self.config, {**self.annotations, **annotations})

    def with_base(self, name: str, digest: Digest) -> Image:
        """Record the base image (`org.opencontainers.image.base.name` and `.digest`)."""
        return self.with_annotations(
            {ANNOTATION_BASE_NAME: name, ANNOTATION_BASE_DIGEST: str(digest)}
        )

    def config_bytes(self) -> bytes:
        return self.raw_config if self.raw_config is not None else self._config_json

    @cached_property
    def _config_json(self) -> bytes:
        return self.config.to_json()

    @cached_property
    def manifest(self) -> Manifest:
        if self.raw_manifest is not None:
            return Manifest.from_json(self.raw_manifest)
        config = self.config_bytes()
        return Manifest(
            config=Descriptor(media_types.OCI_CONFIG, Digest.of(config), len(config)),
            layers=tuple(
                Descriptor(_oci(layer.media_type), layer.digest, layer.size)
                for layer in self.layers
            ),
            annotations=self.annotations,
        )

    def manifest_bytes(self) -> bytes:
        return self.raw_manifest if self.raw_manifest is not None else self._manifest_json

    @cached_property
    def _manifest_json(self) -> bytes:
        return self.manifest.to_json()

    @cached_property
    def digest(self) -> Digest:
        """The manifest digest: the image's identity in a registry or layout."""
        return Digest.of(self.manifest_bytes())

    @property
    def config_digest(self) -> Digest:
        """The config digest: Docker's image ID."""
        return self.manifest.config.digest

    @property
    def platform(self) -> Platform:
        return Platform(self.config.architecture, self.config.os, self.config.variant)

    def descriptor(self, annotations: Mapping[str, str] | None = None) -> Descriptor:
        """A descriptor of the manifest, with the platform, for an index."""
        data = self.manifest_bytes()
        media_type = self.manifest.media_type
        return Descriptor(media_type, self.digest, len(data), annotations or {}, self.platform)


def _oci(media_type: str) -> str:
    return media_types.DOCKER_TO_OCI.get(media_type, media_type)


def _history_of(image: Image) -> tuple[History, ...]:
    """The image's history, or one made up per layer if the base's does not match its layers.

    Some bases ship `history: null` (aws-lambda-base-images#2); podman and buildah then refuse
    the image, so each such layer gets a placeholder entry.
    """
    history = image.config.history
    if sum(not step.empty_layer for step in history) == len(image.layers):
        return history
    return tuple(
        History(created_by=f"base layer {i + 1}", comment="no history in the base image")
        for i in range(len(image.layers))
    )


def scratch(architecture: str = "amd64", *, created: int = DEFAULT_EPOCH) -> Image:
    """An image with no layers for linux/`architecture` ("amd64" or "arm64")."""
    if architecture not in ("amd64", "arm64"):
        raise BuilderError(f"architecture {architecture!r}: Lambda runs amd64 or arm64")
    variant = "v8" if architecture == "arm64" else None
    return Image(config=ImageConfig(architecture, "linux", variant, created=rfc3339(created)))
