"""OCI image-spec v1.1 and Docker image manifest v2 schema 2 media types."""

from __future__ import annotations

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_EMPTY = "application/vnd.oci.empty.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
OCI_LAYER_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd"
OCI_LAYER_NONDISTRIBUTABLE_GZIP = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip"
DOCKER_FOREIGN_LAYER_GZIP = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"

INDEXES = frozenset({OCI_INDEX, DOCKER_MANIFEST_LIST})
MANIFESTS = frozenset({OCI_MANIFEST, DOCKER_MANIFEST})
CONFIGS = frozenset({OCI_CONFIG, DOCKER_CONFIG})
GZIP_LAYERS = frozenset(
    {OCI_LAYER_GZIP, OCI_LAYER_NONDISTRIBUTABLE_GZIP, DOCKER_LAYER_GZIP, DOCKER_FOREIGN_LAYER_GZIP}
)
UNCOMPRESSED_LAYERS = frozenset({OCI_LAYER})
LAYERS = GZIP_LAYERS | UNCOMPRESSED_LAYERS | {OCI_LAYER_ZSTD}

CONFIG_FOR_MANIFEST = {OCI_MANIFEST: OCI_CONFIG, DOCKER_MANIFEST: DOCKER_CONFIG}
"""The config media type that goes with each manifest media type."""

DOCKER_TO_OCI = {
    DOCKER_MANIFEST: OCI_MANIFEST,
    DOCKER_MANIFEST_LIST: OCI_INDEX,
    DOCKER_CONFIG: OCI_CONFIG,
    DOCKER_LAYER_GZIP: OCI_LAYER_GZIP,
    DOCKER_FOREIGN_LAYER_GZIP: OCI_LAYER_NONDISTRIBUTABLE_GZIP,
}
"""Docker v2s2 types and their OCI equivalents (same bytes, different name)."""
