"""Reading a template file: YAML with the CloudFormation short-form tags, or JSON.

The short forms (`!Ref`, `!GetAtt A.B`, `!Sub`, ... every `!Tag`) are turned into their
long forms (`{"Ref": ...}`, `{"Fn::GetAtt": [A, B]}`) by aws-sam-translator's constructor,
the one SAM itself uses, registered on a private loader class (so other YAML users in the
process are unaffected). Timestamps stay strings, as CloudFormation reads them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from samtranslator.yaml_helper import intrinsics_multi_constructor

from lambdabox.template.errors import TemplateSyntaxError


class _CfnLoader(yaml.SafeLoader):
    """SafeLoader plus the CloudFormation tags; dates are kept as written."""


_CfnLoader.add_multi_constructor("!", intrinsics_multi_constructor)


def _timestamp_as_text(loader: yaml.SafeLoader, node: yaml.Node) -> str:
    return str(loader.construct_scalar(node))  # type: ignore[arg-type]


_CfnLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)


def parse_text(text: str, source: str) -> Any:
    """The document in `text` (JSON when it parses as JSON, else YAML)."""
    stripped = text.lstrip()
    if stripped.startswith("{"):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            if source.endswith(".json"):
                raise TemplateSyntaxError(
                    f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})",
                    where=source,
                    fix="fix the JSON syntax there",
                ) from None
    try:
        return yaml.load(text, Loader=_CfnLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise TemplateSyntaxError(
            f"not valid YAML{at}: {problem}", where=source, fix="fix the YAML syntax there"
        ) from None


def read_document(path: Path) -> Any:
    """Parse a file (a template, or a file named by AWS::Include)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TemplateSyntaxError(
            "no such file", where=str(path), fix="check the path (relative to the template folder)"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise TemplateSyntaxError(f"cannot read it ({exc})", where=str(path)) from None
    return parse_text(text, str(path))


def read_template(path: Path) -> dict[str, Any]:
    """The template at `path` as a dict, checked to be a template with Resources."""
    return check_template(read_document(path), str(path))


def check_template(doc: Any, path: str) -> dict[str, Any]:
    """`doc` checked to be a template: a mapping with Resources, each with a Type."""
    if not isinstance(doc, dict):
        raise TemplateSyntaxError(
            "the file is not a template (its top level must be a mapping with Resources)",
            where=str(path),
            fix="point lambdabox at a SAM/CloudFormation template",
        )
    resources = doc.get("Resources")
    if not isinstance(resources, dict) or not resources:
        raise TemplateSyntaxError(
            "the template has no Resources section (a mapping of logical ids to resources)",
            where=str(path),
            fix="add Resources with at least one function",
        )
    for logical_id, body in resources.items():
        if logical_id.startswith("Fn::ForEach"):
            raise TemplateSyntaxError(
                "Fn::ForEach (the AWS::LanguageExtensions transform) is not expanded locally",
                where=f"{path}: Resources.{logical_id}",
                fix="write the resources out, or run the template through "
                "`aws cloudformation package`/`sam build` first",
            )
        if not isinstance(body, dict) or not isinstance(body.get("Type"), str):
            raise TemplateSyntaxError(
                "a resource must be a mapping with a Type",
                where=f"{path}: Resources.{logical_id}",
                fix="add Type: AWS::Serverless::Function (or the resource's type)",
            )
    return doc
