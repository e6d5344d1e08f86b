"""The resolved template: resources with their properties, as the application sees them.

Every value here is final: intrinsic functions (`!Ref`, `!GetAtt`, `!Sub`, ...) are resolved
to local values, conditions are applied (a resource whose condition is false is absent),
`Globals` are merged into each function and API, and local paths (CodeUri, ContentUri,
DefinitionUri, ...) are absolute. Triggers read what they need from `Resource.properties`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Resource:
    """One resource of the template (or of a nested stack), properties resolved."""

    logical_id: str
    type: str  # "AWS::Serverless::Function", "AWS::SQS::Queue", ...
    properties: Mapping[str, Any] = field(default_factory=dict)
    metadata: Mapping[str, Any] = field(default_factory=dict)
    # Logical ids of the nested stacks that hold it, outermost first; () for the root stack.
    stack: tuple[str, ...] = ()

    @property
    def path(self) -> str:
        """Where the resource is, for messages: `Api/Outer/Inner.MyFunction`."""
        return ".".join([*self.stack, self.logical_id]) if self.stack else self.logical_id


@dataclass(frozen=True)
class Template:
    """A template read and resolved for one run (region, account and stack name fixed)."""

    path: Path  # the template file; relative paths in it resolve against its folder
    resources: Mapping[str, Resource]  # by path (Resource.path); the root stack's by logical id
    region: str = "us-east-1"
    account_id: str = "123456789012"
    stack_name: str = "lambdabox"
    parameters: Mapping[str, str] = field(default_factory=dict)
    outputs: Mapping[str, Any] = field(default_factory=dict)
    # One line per resource lambdabox reads but does not run ("AWS::X::Y Foo: not run locally").
    warnings: tuple[str, ...] = ()
    # Physical names (FunctionName, QueueName, ...) by resource path, as resolved here.
    names: Mapping[str, str] = field(default_factory=dict)

    @property
    def folder(self) -> Path:
        return self.path.parent

    def of_type(self, *types: str) -> Iterator[Resource]:
        """The resources of the given types, in template order."""
        return (r for r in self.resources.values() if r.type in types)

    def functions(self) -> Iterator[Resource]:
        return self.of_type("AWS::Serverless::Function", "AWS::Lambda::Function")

    def name_of(self, path: str) -> str:
        """A resource's physical name (a function's FunctionName); its logical id if unnamed."""
        return self.names.get(path) or path.rsplit(".", 1)[-1]

    def function_arn(self, path: str) -> str:
        """The local ARN of the function at `path`."""
        return f"arn:aws:lambda:{self.region}:{self.account_id}:function:{self.name_of(path)}"
