"""Test doubles that ship with the builder: deterministic random images, built in memory."""

from __future__ import annotations

import io
import random
from dataclasses import replace

from .layers.entries import Entry
from .layers.tarball import write_layer_blob
from .oci.config import History
from .oci.image import Image, scratch
from .oci.layer import BytesLayer

__all__ = ["random_image", "random_layer"]


def random_layer(rng: random.Random, *, files: int = 3, size: int = 1024) -> BytesLayer:
    """A gzip layer of `files` files of `size` random bytes (the first executable) in /data."""
    folder = f"data/layer-{rng.getrandbits(32):08x}"
    entries = [
        Entry.file(f"{folder}/file-{i}", rng.randbytes(size), executable=i == 0)
        for i in range(files)
    ]
    out = io.BytesIO()
    write_layer_blob(entries, out)
    history = History(created_by=f"random layer {folder}", comment="builder.testing")
    return BytesLayer(out.getvalue(), history=history)


def random_image(layers: int = 2, *, seed: int = 0, files: int = 3, size: int = 1024) -> Image:
    """A linux/amd64 image of `layers` random layers; the same `seed` gives the same digest."""
    rng = random.Random(seed)
    image = scratch().with_layers(
        *(random_layer(rng, files=files, size=size) for _ in range(layers))
    )
    config = image.config.with_env("PATH", "/usr/local/bin:/usr/bin:/bin")
    config = config.with_labels({"org.example.seed": str(seed)})
    return image.with_config(replace(config, cmd=("/bin/true",), workdir="/data"))
