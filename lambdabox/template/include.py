"""`AWS::Include`: the `Fn::Transform` that pastes a local file into the template.

Where the transform is a value (`DefinitionBody: {Fn::Transform: {Name: AWS::Include,
Parameters: {Location: api.yaml}}}`) the file replaces it; where it is one key of a mapping
the file's keys are merged in. Locations resolve against the template's folder; an S3
location cannot be read here and is an error naming the fix.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lambdabox.template.errors import TemplateError
from lambdabox.template.loader import read_document

_KEY = "Fn::Transform"


def _included(spec: Any, folder: Path, where: str, depth: int) -> Any:
    if not isinstance(spec, dict) or spec.get("Name") != "AWS::Include":
        return None
    location = (spec.get("Parameters") or {}).get("Location")
    if not isinstance(location, str):
        raise TemplateError(
            "AWS::Include needs Parameters.Location, a file path",
            where=where,
            fix="write Location: ./file.yaml (relative to the template)",
        )
    if "://" in location:
        raise TemplateError(
            f"AWS::Include of {location} cannot be read locally",
            where=where,
            fix="point Location at a local copy of the file (relative to the template)",
        )
    path = (folder / location).resolve()
    if depth > 8:
        raise TemplateError("AWS::Include nests too deep (a loop?)", where=where)
    return expand_includes(read_document(path), path.parent, f"{path}", depth + 1)


def expand_includes(node: Any, folder: Path, where: str = "", depth: int = 0) -> Any:
    """`node` with every AWS::Include replaced by the file it names."""
    if isinstance(node, list):
        return [expand_includes(v, folder, f"{where}[{i}]", depth) for i, v in enumerate(node)]
    if not isinstance(node, dict):
        return node
    if _KEY in node:
        content = _included(node[_KEY], folder, f"{where}.{_KEY}".lstrip("."), depth)
        if content is not None:
            rest = {k: v for k, v in node.items() if k != _KEY}
            if not rest:
                return content
            if not isinstance(content, dict):
                raise TemplateError(
                    "an AWS::Include next to other keys must name a file holding a mapping",
                    where=where,
                )
            node = {**content, **rest}
    return {
        k: expand_includes(v, folder, f"{where}.{k}".lstrip("."), depth) for k, v in node.items()
    }
