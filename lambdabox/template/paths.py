"""Local paths in resolved resources made absolute, against the template's folder.

CodeUri (default: the template's folder, as `sam` does), Code, ContentUri, Content,
DefinitionUri, nested templates' Location/TemplateURL and image Metadata's DockerContext;
templates synthesised by the CDK name their assets in `Metadata["aws:asset:path"]`
(relative to the template, i.e. `cdk.out`) with the property it replaces in
`Metadata["aws:asset:property"]`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lambdabox.template.errors import TemplateError

_PATH_PROPERTIES = {
    "AWS::Serverless::Function": "CodeUri",
    "AWS::Lambda::Function": "Code",
    "AWS::Serverless::LayerVersion": "ContentUri",
    "AWS::Lambda::LayerVersion": "Content",
    "AWS::Serverless::Api": "DefinitionUri",
    "AWS::Serverless::HttpApi": "DefinitionUri",
    "AWS::Serverless::Application": "Location",
    "AWS::CloudFormation::Stack": "TemplateURL",
    "AWS::Serverless::StateMachine": "DefinitionUri",
}


def is_remote(value: str) -> bool:
    return "://" in value


def local_path(folder: Path, value: str) -> str:
    """`value` made absolute against `folder` (URLs are left alone)."""
    return value if is_remote(value) else str((folder / value).resolve())


def _is_image(kind: str, props: dict[str, Any]) -> bool:
    return kind.endswith("::Function") and props.get("PackageType") == "Image"


def absolutise(
    kind: str, props: dict[str, Any], metadata: dict[str, Any], folder: Path, where: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(properties, metadata) with their local paths absolute."""
    props = dict(props)
    metadata = dict(metadata)
    asset = metadata.get("aws:asset:path")
    if isinstance(asset, str):
        metadata["aws:asset:path"] = local_path(folder, asset)
        target = metadata.get("aws:asset:property")
        if isinstance(target, str) and not _is_image(kind, props):
            props[target] = metadata["aws:asset:path"]
        if isinstance(metadata.get("aws:asset:dockerfile-path"), str):
            metadata.setdefault("DockerContext", metadata["aws:asset:path"])
            metadata.setdefault("Dockerfile", metadata["aws:asset:dockerfile-path"])
    if _is_image(kind, props):
        context = metadata.get("DockerContext")
        if isinstance(context, str):
            metadata["DockerContext"] = local_path(folder, context)
        return props, metadata
    name = _PATH_PROPERTIES.get(kind)
    if name is None:
        return props, metadata
    value = props.get(name)
    if value is None and kind == "AWS::Serverless::Function" and "InlineCode" not in props:
        value = "."
    if isinstance(value, str):
        props[name] = local_path(folder, value)
    elif value is not None and not isinstance(value, dict):
        raise TemplateError(
            f"{name} must be a path or a mapping, not {type(value).__name__}",
            where=f"{where}.Properties.{name}",
            fix="give the folder, .zip or template path relative to the template",
        )
    return props, metadata
