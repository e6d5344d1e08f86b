"""AWS SAM / CloudFormation templates, read into a resolved, immutable model.

Holds the model (`Template`, `Resource`) and the loader: YAML with the CloudFormation
short-form tags (aws-sam-translator's constructor) and JSON, `AWS::Include`, parameters and
their overrides, pseudo parameters, conditions, mappings, `Globals` (aws-sam-translator's
merge), intrinsic functions resolved to local values, local paths and nested stacks. It
knows CloudFormation and SAM semantics, not what any trigger does with a resource.

May import: the standard library, PyYAML and aws-sam-translator. Imported by
`lambdabox.app` (which runs an application) and `lambdabox.triggers` (which read resources).
"""

from lambdabox.template.errors import ParameterError, ResolveError, TemplateError
from lambdabox.template.load import DEFAULT_NAMES, find_template, load_template
from lambdabox.template.local_values import Endpoints
from lambdabox.template.model import Resource, Template
from lambdabox.template.parameters import Stack, parse_overrides

__all__ = [
    "DEFAULT_NAMES",
    "Endpoints",
    "ParameterError",
    "ResolveError",
    "Resource",
    "Stack",
    "Template",
    "TemplateError",
    "find_template",
    "load_template",
    "parse_overrides",
]
