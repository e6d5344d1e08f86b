"""Function specs: what running one function of a template takes, read from its resource.

`AWS::Serverless::Function` and `AWS::Lambda::Function`: code (a folder, a .zip, inline
code), Handler, Runtime, PackageType Image (Metadata Dockerfile/DockerContext/DockerTag, or
ImageUri), Environment, Timeout (default 3 s), MemorySize (default 128 MB), Layers (local
LayerVersions), Architectures, EventInvokeConfig/DeadLetterQueue (and
`AWS::Lambda::EventInvokeConfig` resources) and ReservedConcurrentExecutions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lambdabox.app.asynchronous import asynchronous_config, invoke_configs, whole_number
from lambdabox.app.errors import FunctionSpecError
from lambdabox.emulator.config import EventInvokeConfig
from lambdabox.template.model import Resource, Template

LAYER_TYPES = ("AWS::Serverless::LayerVersion", "AWS::Lambda::LayerVersion")
DEFAULT_TIMEOUT_S = 3
DEFAULT_MEMORY_MB = 128


@dataclass(frozen=True)
class FunctionSpec:
    """One function, as `lambdabox up` runs it."""

    path: str  # Resource.path: the logical id in the root stack
    name: str  # FunctionName (or the logical id)
    arn: str
    runtime: str = ""
    handler: str = ""
    package_type: str = "Zip"
    code: Path | None = None  # a folder or a .zip
    inline_code: str | None = None
    image_uri: str | None = None
    dockerfile: str | None = None
    docker_context: Path | None = None
    environment: Mapping[str, str] = field(default_factory=dict)
    timeout_s: int = DEFAULT_TIMEOUT_S
    memory_mb: int = DEFAULT_MEMORY_MB
    layers: tuple[Path, ...] = ()
    architecture: str = "x86_64"
    asynchronous: EventInvokeConfig = field(default_factory=EventInvokeConfig)
    reserved_concurrency: int | None = None

    @property
    def is_image(self) -> bool:
        return self.package_type == "Image"

    @property
    def is_python(self) -> bool:
        return self.runtime.startswith("python")


def _environment(resource: Resource) -> dict[str, str]:
    env = resource.properties.get("Environment") or {}
    variables = env.get("Variables") if isinstance(env, dict) else None
    if variables is None:
        return {}
    if not isinstance(variables, dict):
        raise FunctionSpecError(
            resource.path,
            "Environment.Variables",
            "must be a mapping of names to values",
            "write Variables: {NAME: value}",
        )
    out: dict[str, str] = {}
    for key, value in variables.items():
        if isinstance(value, bool):
            out[key] = "true" if value else "false"
        elif isinstance(value, (str, int, float)):
            out[key] = str(value)
        else:
            raise FunctionSpecError(
                resource.path,
                f"Environment.Variables.{key}",
                f"is a {type(value).__name__}, not a string",
                "give it a string value",
            )
    return out


def _code(resource: Resource) -> tuple[Path | None, str | None]:
    props = resource.properties
    if "InlineCode" in props:
        return None, str(props["InlineCode"])
    prop = "CodeUri" if resource.type == "AWS::Serverless::Function" else "Code"
    value = props.get(prop)
    if isinstance(value, dict):
        if "ZipFile" in value:
            return None, str(value["ZipFile"])
        raise FunctionSpecError(
            resource.path,
            prop,
            "points at S3, which lambdabox does not download",
            f"set {prop} to the local code folder or .zip (relative to the template)",
        )
    if not isinstance(value, str) or "://" in value:
        raise FunctionSpecError(
            resource.path,
            prop,
            f"{value!r} is not a local folder or .zip",
            f"set {prop} to the code folder (relative to the template)",
        )
    path = Path(value)
    if not path.exists():
        raise FunctionSpecError(
            resource.path, prop, f"{path} does not exist", f"fix {prop} or create the folder"
        )
    return path, None


def _layers(resource: Resource, template: Template) -> tuple[tuple[Path, ...], list[str]]:
    local: dict[str, Path] = {}
    for layer in template.of_type(*LAYER_TYPES):
        prop = "ContentUri" if layer.type == LAYER_TYPES[0] else "Content"
        content = layer.properties.get(prop)
        name = template.name_of(layer.path)
        arn = f"arn:aws:lambda:{template.region}:{template.account_id}:layer:{name}:1"
        if isinstance(content, str) and "://" not in content:
            local[arn] = Path(content)
    found: list[Path] = []
    notes: list[str] = []
    for index, arn in enumerate(resource.properties.get("Layers") or []):
        if arn in local:
            if not local[arn].exists():
                raise FunctionSpecError(
                    resource.path,
                    f"Layers[{index}]",
                    f"the layer's {local[arn]} does not exist",
                    "fix the layer's ContentUri",
                )
            found.append(local[arn])
        else:
            notes.append(f"{resource.path}: layer {arn} is not in the template; not available")
    return tuple(found), notes


def function_spec(resource: Resource, template: Template) -> tuple[FunctionSpec, list[str]]:
    """The spec of one function resource, and warning lines about what is left out."""
    props = resource.properties
    package_type = str(props.get("PackageType") or "Zip")
    if package_type not in ("Zip", "Image"):
        raise FunctionSpecError(
            resource.path, "PackageType", f"{package_type!r} is not Zip or Image", "use one"
        )
    name = template.name_of(resource.path)
    common: dict[str, Any] = {
        "path": resource.path,
        "name": name,
        "arn": template.function_arn(resource.path),
        "package_type": package_type,
        "environment": _environment(resource),
        "timeout_s": whole_number(
            resource, "Timeout", props.get("Timeout", DEFAULT_TIMEOUT_S), 1, 900
        ),
        "memory_mb": whole_number(
            resource, "MemorySize", props.get("MemorySize", DEFAULT_MEMORY_MB), 128, 10240
        ),
        "asynchronous": asynchronous_config(props, resource),
        "architecture": str((props.get("Architectures") or ["x86_64"])[0]),
    }
    if "ReservedConcurrentExecutions" in props:
        common["reserved_concurrency"] = whole_number(
            resource,
            "ReservedConcurrentExecutions",
            props["ReservedConcurrentExecutions"],
            0,
            1000,
        )
    if package_type == "Image":
        metadata = resource.metadata
        image_uri = props.get("ImageUri") or (props.get("Code") or {}).get("ImageUri")
        if not metadata.get("Dockerfile") and not image_uri:
            raise FunctionSpecError(
                resource.path,
                "ImageUri",
                "an Image function needs ImageUri or Metadata Dockerfile/DockerContext",
                "add one of them",
            )
        context = metadata.get("DockerContext")
        command = (props.get("ImageConfig") or {}).get("Command") or []
        return FunctionSpec(
            **common,
            handler=str(command[0]) if command else "",
            image_uri=str(image_uri) if image_uri else None,
            dockerfile=str(metadata["Dockerfile"]) if metadata.get("Dockerfile") else None,
            docker_context=Path(context) if isinstance(context, str) else template.folder,
        ), []
    for prop in ("Handler", "Runtime"):
        if not isinstance(props.get(prop), str) or not props[prop]:
            raise FunctionSpecError(
                resource.path,
                prop,
                "is missing",
                f"set {prop} (e.g. app.handler, python3.11)"
                if prop == "Handler"
                else "set Runtime, e.g. python3.11",
            )
    code, inline = _code(resource)
    layers, notes = _layers(resource, template)
    spec = FunctionSpec(
        **common,
        runtime=props["Runtime"],
        handler=props["Handler"],
        code=code,
        inline_code=inline,
        layers=layers,
    )
    return spec, notes


def function_specs(template: Template) -> tuple[list[FunctionSpec], list[str]]:
    """Every function of the template, and warning lines."""
    extra = invoke_configs(template)
    specs: list[FunctionSpec] = []
    notes: list[str] = []
    for resource in template.functions():
        spec, more = function_spec(resource, template)
        if spec.reserved_concurrency == 0:
            more.append(
                f"{spec.path}: ReservedConcurrentExecutions 0 throttles every invocation in "
                "the cloud; here it runs with one environment"
            )
        if spec.name in extra:
            from dataclasses import replace

            config = asynchronous_config({"EventInvokeConfig": extra[spec.name]}, resource)
            spec = replace(
                spec, asynchronous=replace(config, dead_letter=spec.asynchronous.dead_letter)
            )
        specs.append(spec)
        notes.extend(more)
    return specs, notes
