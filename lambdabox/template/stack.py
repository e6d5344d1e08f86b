"""One stack resolved: its parameters, conditions, Globals, intrinsics, paths and nested stacks.

`StackResolver(...).resolve()` gives the stack's resources (nested stacks' resources
included, each with its `stack` path) and outputs. Resources whose Condition is false are
left out; resources lambdabox does not run locally are kept (triggers may read them) and
named in one warning line each.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lambdabox.template.errors import ResolveError, TemplateError
from lambdabox.template.globals import merge_globals
from lambdabox.template.include import expand_includes
from lambdabox.template.intrinsics import Resolver
from lambdabox.template.loader import read_template
from lambdabox.template.local_values import FUNCTION_TYPES, NAMED_TYPES, Endpoints, LocalValues
from lambdabox.template.model import Resource
from lambdabox.template.parameters import Stack, resolve_parameters, ssm_parameters
from lambdabox.template.paths import absolutise, is_remote
from lambdabox.template.support import (
    NESTED_TYPES,
    RUN_LOCALLY,
    implicit_resources,
    warnings_for,
    with_implicit_apis,
)


@dataclass
class StackResult:
    """What a stack resolved to."""

    resources: list[Resource] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)


class StackResolver:
    """Resolve the template at `path` as the stack `prefix` (() for the root)."""

    def __init__(
        self,
        doc: dict[str, Any],
        path: Path,
        overrides: Mapping[str, str],
        stack: Stack,
        endpoints: Endpoints,
        prefix: tuple[str, ...] = (),
        parents: tuple[Path, ...] = (),
    ) -> None:
        self._path = path
        self._folder = path.parent
        self._stack = stack
        self._endpoints = endpoints
        self._prefix = prefix
        self._parents = (*parents, path)
        self._label = ".".join(prefix) + ": " if prefix else ""
        self.result = StackResult()
        doc = expand_includes(doc, self._folder)
        self.result.parameters = resolve_parameters(doc.get("Parameters"), overrides, strict=True)
        self.result.warnings.extend(
            self._label + line for line in ssm_parameters(doc.get("Parameters"), overrides)
        )
        self._doc = merge_globals(with_implicit_apis(doc))
        self._raw: dict[str, Any] = self._doc["Resources"]
        self._known = {**implicit_resources(self._raw), **self._raw}
        self._nested: dict[str, StackResult] = {}
        self._local = LocalValues(self._known, stack, endpoints, self._value, prefix)
        self._resolver = Resolver(
            parameters=self.result.parameters,
            pseudo=stack.pseudo(),
            mappings=self._doc.get("Mappings") or {},
            conditions=self._doc.get("Conditions") or {},
            ref=self._ref,
            get_att=self._get_att,
            warn=lambda line: self.result.warnings.append(self._label + line),
            region=stack.region,
            imports=stack.imports,
            runs_locally=self._runs_locally,
        )

    def _runs_locally(self, where: str) -> bool:
        """Whether `where` (`Resources.X.Properties...`) is in a resource run locally."""
        parts = where.split(".", 2)
        if len(parts) < 2 or parts[0] != "Resources":
            return False
        body = self._raw.get(parts[1])
        return isinstance(body, dict) and body.get("Type") in RUN_LOCALLY

    def _value(self, node: Any, where: str) -> Any:
        return self._resolver.value(node, where)

    def _unknown(self, name: str, where: str) -> ResolveError:
        known = sorted([*self.result.parameters, *self._raw])
        return ResolveError(
            f"{name!r} is not a parameter, pseudo parameter or resource of this template",
            where=self._label + where,
            fix=f"declare it or fix the name (known: {', '.join(known) or 'none'})",
        )

    def _check_target(self, name: str, where: str) -> None:
        """`name` must be a resource that exists (its Condition, if any, is true)."""
        if name not in self._known:
            raise self._unknown(name, where)
        body = self._raw.get(name)
        if isinstance(body, dict) and not self._included(body, name):
            raise ResolveError(
                f"{name} is not created (its Condition {body['Condition']} is false)",
                where=self._label + where,
                fix=f"refer to it inside !If [{body['Condition']}, ..., !Ref AWS::NoValue]",
            )

    def _ref(self, name: str, where: str) -> Any:
        self._check_target(name, where)
        if self._local.type_of(name) in NESTED_TYPES:
            return (
                f"arn:aws:cloudformation:{self._stack.region}:{self._stack.account_id}:stack/{name}"
            )
        return self._local.ref(name)

    def _get_att(self, name: str, attribute: str, where: str) -> Any:
        self._check_target(name, where)
        if self._local.type_of(name) in NESTED_TYPES and attribute.startswith("Outputs."):
            outputs = self._nested_stack(name).outputs
            key = attribute[len("Outputs.") :]
            if key not in outputs:
                raise ResolveError(
                    f"the nested stack {name} has no output {key!r}",
                    where=self._label + where,
                    fix=f"use one of: {', '.join(sorted(outputs)) or '(no outputs)'}",
                )
            return outputs[key]
        return self._local.get_att(name, attribute, self._label + where)

    def _included(self, body: dict[str, Any], logical_id: str) -> bool:
        condition = body.get("Condition")
        if condition is None:
            return True
        return self._resolver.condition(condition, f"Resources.{logical_id}.Condition")

    def _nested_stack(self, logical_id: str) -> StackResult:
        if logical_id in self._nested:
            return self._nested[logical_id]
        body = self._raw[logical_id]
        where = f"{self._label}Resources.{logical_id}"
        props = self._value(body.get("Properties") or {}, f"Resources.{logical_id}.Properties")
        prop = "Location" if body["Type"] == "AWS::Serverless::Application" else "TemplateURL"
        location = props.get(prop)
        if not isinstance(location, str) or is_remote(location):
            self._nested[logical_id] = StackResult()
            return self._nested[logical_id]
        child_path = (self._folder / location).resolve()
        if child_path in self._parents:
            raise TemplateError("nested stacks include each other in a loop", where=where)
        params = props.get("Parameters") or {}
        if not isinstance(params, dict):
            raise TemplateError(
                "Parameters of a nested stack must be a mapping", where=f"{where}.Properties"
            )
        child = StackResolver(
            read_template(child_path),
            child_path,
            {
                k: ",".join(map(str, v)) if isinstance(v, list) else str(v)
                for k, v in params.items()
            },
            Stack(
                self._stack.region,
                self._stack.account_id,
                f"{self._stack.name}-{logical_id}",
                self._stack.imports,
            ),
            self._endpoints,
            (*self._prefix, logical_id),
            self._parents,
        ).resolve()
        self._nested[logical_id] = child
        return child

    def resolve(self) -> StackResult:
        """Every resource and output resolved (nested stacks included)."""
        for logical_id, body in self._raw.items():
            if not self._included(body, logical_id):
                continue
            kind = body["Type"]
            where = f"Resources.{logical_id}"
            props = self._value(body.get("Properties") or {}, f"{where}.Properties")
            metadata = self._value(body.get("Metadata") or {}, f"{where}.Metadata")
            if not isinstance(props, dict):
                raise ResolveError(
                    "Properties must be a mapping", where=self._label + where, fix="fix its layout"
                )
            props, metadata = absolutise(kind, props, metadata, self._folder, where)
            resource = Resource(logical_id, kind, props, metadata, self._prefix)
            if kind in FUNCTION_TYPES or kind in NAMED_TYPES:
                self.result.names[resource.path] = self._local.physical_name(logical_id)
            self.result.warnings.extend(warnings_for(resource))
            if kind in NESTED_TYPES:
                child = self._nested_stack(logical_id)
                self.result.resources.extend(child.resources)
                self.result.warnings.extend(child.warnings)
                self.result.names.update(child.names)
            self.result.resources.append(resource)
        for name, output in (self._doc.get("Outputs") or {}).items():
            if not isinstance(output, dict) or not self._included(output, f"Outputs.{name}"):
                continue
            try:
                self.result.outputs[name] = self._value(output.get("Value"), f"Outputs.{name}")
            except ResolveError as exc:
                self.result.warnings.append(f"{self._label}Outputs.{name}: not resolved ({exc})")
        self._check_function_names()
        return self.result

    def _check_function_names(self) -> None:
        seen: dict[str, str] = {}
        for resource in self.result.resources:
            if resource.type not in FUNCTION_TYPES or resource.stack != self._prefix:
                continue
            name = self._local.physical_name(resource.logical_id)
            if name in seen:
                raise TemplateError(
                    f"functions {seen[name]} and {resource.logical_id} share the name {name!r}",
                    where=self._label + f"Resources.{resource.logical_id}.Properties.FunctionName",
                    fix="give each function its own FunctionName",
                )
            seen[name] = resource.logical_id
