"""Exporters: copy an OCI layout written by the builder somewhere else, one interface for all.

    exporter: Exporter = SkopeoExporter()          # or DockerSDKExporter()
    exporter.export(Path("out"), "latest", "docker-daemon:my-fn:latest")

The OCI layout is the canonical output; each exporter is an adapter behind `Exporter`, and each
reaches its tool through an injectable port (`run(argv)` for skopeo, a client factory whose
client has `images.load` for Docker), so tests pass recording fakes. `MultiExporter` tees.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from ._errors import ExportError
from .docker_sdk import DockerSDKExporter
from .skopeo import SkopeoExporter

__all__ = ["DockerSDKExporter", "ExportError", "Exporter", "MultiExporter", "SkopeoExporter"]


class Exporter(Protocol):
    """Copies the image tagged `tag` in the OCI layout `layout` to `destination`."""

    def export(self, layout: Path, tag: str, destination: str) -> None: ...


class MultiExporter:
    """Exports through each of `exporters` in turn, to the same destination."""

    def __init__(self, exporters: Sequence[Exporter]) -> None:
        self.exporters = tuple(exporters)

    def export(self, layout: Path, tag: str, destination: str) -> None:
        for exporter in self.exporters:
            exporter.export(layout, tag, destination)
