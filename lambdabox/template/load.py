"""`load_template(path, ...)`: a template file read and resolved into a `Template`."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lambdabox.template.errors import TemplateError
from lambdabox.template.loader import check_template, read_template
from lambdabox.template.local_values import Endpoints
from lambdabox.template.model import Template
from lambdabox.template.parameters import Stack
from lambdabox.template.stack import StackResolver

DEFAULT_NAMES = ("template.yaml", "template.yml", "template.json")


def find_template(given: str | Path | None, cwd: Path | None = None) -> Path:
    """The template to run: `given` (a file, or a folder holding one), else ./template.yaml,
    ./template.yml or ./template.json."""
    folder = Path(cwd or Path.cwd())
    if given is not None:
        path = folder / given
        if path.is_dir():
            folder = path
        elif path.is_file():
            return path.resolve()
        else:
            raise TemplateError(
                "no such file", where=str(given), fix="give the path of a SAM template"
            )
    for name in DEFAULT_NAMES:
        if (folder / name).is_file():
            return (folder / name).resolve()
    raise TemplateError(
        f"no {', '.join(DEFAULT_NAMES)} in {folder}",
        fix="run lambdabox up in the application's folder, or pass the template's path",
    )


def load_template(
    path: Path,
    *,
    document: Mapping[str, Any] | None = None,
    overrides: Mapping[str, str] | None = None,
    stack: Stack | None = None,
    endpoints: Endpoints | None = None,
) -> Template:
    """Read, check and resolve the template at `path` (raises `TemplateError`).

    With `document`, that template (made in memory) is resolved instead, as if it were
    the file `path` (relative paths in it start at `path`'s folder)."""
    stack = stack or Stack()
    path = path.resolve()
    doc = check_template(dict(document), str(path)) if document is not None else read_template(path)
    result = StackResolver(doc, path, overrides or {}, stack, endpoints or Endpoints()).resolve()
    return Template(
        path=path,
        resources={r.path: r for r in result.resources},
        region=stack.region,
        account_id=stack.account_id,
        stack_name=stack.name,
        parameters={
            k: ",".join(v) if isinstance(v, list) else str(v) for k, v in result.parameters.items()
        },
        outputs=result.outputs,
        warnings=tuple(result.warnings),
        names=result.names,
    )
