"""Looking resources and functions up by what a template property holds.

The resolver turns `!Ref`/`!GetAtt` of local resources into local values; the HTTP front
accepts what it may find there: a logical id (or nested path), a function's name or ARN
(with or without a qualifier), an API's id, an `integrations/<id>` target, or a reference
the resolver left as written (`{"Ref": X}`, `{"Fn::GetAtt": [X, attr]}`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from lambdabox.template.model import Resource, Template
from lambdabox.triggers.ports import FunctionInvoker, UnknownFunction


def ref_name(value: Any) -> str | None:
    """The logical id (or id) a property names, or None when it names nothing."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and len(value) == 1:
        if "Ref" in value and isinstance(value["Ref"], str):
            return value["Ref"]
        target = value.get("Fn::GetAtt")
        if isinstance(target, list) and target and isinstance(target[0], str):
            return target[0]
        if isinstance(target, str):
            return target.split(".", 1)[0]
    return None


T = TypeVar("T")


def lookup(names: Mapping[str, T], value: Any, stack: tuple[str, ...]) -> T | None:
    """What `value` names among `names` (keys: paths, ids, ARNs), same stack first."""
    name = ref_name(value)
    if name is None:
        return None
    for key in (".".join([*stack, name]), name):
        if key in names:
            return names[key]
    if name.endswith(".RootResourceId"):
        return lookup(names, name.rsplit(".", 1)[0], stack)
    return None


class Functions:
    """The template's functions that run in this application, by every name they go by."""

    def __init__(self, template: Template, invoker: FunctionInvoker) -> None:
        self.names: dict[str, str] = {}
        self.absent: set[str] = set()
        for fn in template.functions():
            self.names[fn.path] = fn.path
            declared = fn.properties.get("FunctionName")
            if isinstance(declared, str):
                self.names[declared] = fn.path
            try:
                arn = invoker.function_arn(fn.path)
            except UnknownFunction:  # not run (e.g. `--function` picked others)
                self.absent.add(fn.path)
                self.names[fn.logical_id] = fn.path
                continue
            self.names[arn] = fn.path
            self.names[arn.rsplit(":", 1)[-1]] = fn.path

    def finder(self, stack: tuple[str, ...]) -> Callable[[Any], str | None]:
        """`find` within one stack."""
        return lambda value: self.find(value, stack)

    def find(self, value: Any, stack: tuple[str, ...] = ()) -> str | None:
        """The function's path, for a logical id, name, ARN or integration URI."""
        if isinstance(value, str):
            value = function_arn_in(value)
            if value.startswith("arn:") and value.count(":") == 7:  # a qualified ARN
                value = value.rsplit(":", 1)[0]
            found = lookup(self.names, value, stack)
            if found is None and value.startswith("arn:") and ":function:" in value:
                # The ARN of a function that is not run here: known by its name only.
                name = value.rsplit(":function:", 1)[1]
                candidate = self.names.get(name)
                return candidate if candidate in self.absent else None
            return found
        return lookup(self.names, value, stack)


def function_arn_in(uri: str) -> str:
    """The function ARN inside an API Gateway integration URI (`.../functions/ARN/invocations`)."""
    marker = "/functions/"
    start = uri.find(marker)
    if start >= 0 and uri.endswith("/invocations"):
        return uri[start + len(marker) : -len("/invocations")]
    return uri


def root_first(resources: Iterable[Resource]) -> list[Resource]:
    """Resources in template order, the root stack's first (the root stack wins a route)."""
    return sorted(resources, key=lambda r: len(r.stack))
