"""Rebasing: a function image on another base, by editing its manifest and config only.

    rebased = rebase(read_layout(Path("out"), "fn"), read_layout(Path("new-base")))

`lambdabox build` records how many layers at the bottom are the base's in the manifest
annotation `lambdabox.base.layers`; those are swapped for the new base's layers, and the
image's own layers (dependencies, Lambda layers, code) are kept as they are, blob for blob.
"""

from __future__ import annotations

from dataclasses import replace

from ..oci.errors import BuilderError
from ..oci.image import Image
from ..oci.manifest import ANNOTATION_BASE_DIGEST, ANNOTATION_BASE_NAME

__all__ = ["ANNOTATION_BASE_LAYERS", "base_layer_count", "rebase"]

ANNOTATION_BASE_LAYERS = "lambdabox.base.layers"
"""Manifest annotation: the number of layers at the bottom that come from the base image."""


def base_layer_count(image: Image) -> int:
    """How many of `image`'s bottom layers are its base's (from `lambdabox.base.layers`)."""
    raw = image.manifest.annotations.get(ANNOTATION_BASE_LAYERS)
    if raw is None or not raw.isdigit() or int(raw) > len(image.layers):
        raise BuilderError(
            f"the image has no valid {ANNOTATION_BASE_LAYERS} annotation ({raw!r}), so its "
            "base layers are unknown: rebuild it with `lambdabox build` to rebase it later"
        )
    return int(raw)


def rebase(image: Image, new_base: Image, *, base_name: str = "") -> Image:
    """`image` on `new_base`: its base layers replaced, its own layers and config kept.

    A manifest edit: no layer is rebuilt. The config keeps `image`'s settings (env, CMD, ...),
    which include the old base's; diff_ids and history come from the new base.
    """
    count = base_layer_count(image)
    own = image.layers[count:]
    config = replace(
        image.config, diff_ids=new_base.config.diff_ids, history=new_base.config.history
    )
    rebased = Image(new_base.layers, config).with_layers(*own)
    rebased = rebased.with_base(base_name or "unknown", new_base.digest)
    kept = {
        key: value
        for key, value in image.manifest.annotations.items()
        if key not in (ANNOTATION_BASE_NAME, ANNOTATION_BASE_DIGEST, ANNOTATION_BASE_LAYERS)
    }
    return rebased.with_annotations({**kept, ANNOTATION_BASE_LAYERS: str(len(new_base.layers))})
