"""AWS SAM / CloudFormation templates, read into a resolved, immutable model.

Holds the model (`Template`, `Resource`) and, as it grows, the loader: YAML with the
CloudFormation short-form tags and JSON, parameters, pseudo parameters, conditions,
mappings, `Globals`, intrinsic functions, nested stacks and local paths. It knows
CloudFormation and SAM semantics, not what any trigger does with a resource.

May import: the standard library and its own dependencies (a YAML loader). Imported by
`lambdabox.app` (which runs an application) and `lambdabox.triggers` (which read resources).
"""

from lambdabox.template.model import Resource, Template

__all__ = ["Resource", "Template"]
