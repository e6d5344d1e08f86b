"""From a function spec to the emulator settings that run it, in process or container mode.

Process mode runs the code folder with this interpreter's runtime interface client
(`python -m runtime_interface HANDLER`, in the code folder), with the code folder and each
layer's `python/` folder (Lambda's /opt/python) on PYTHONPATH; a .zip or inline code is
unpacked into the application's scratch folder first. Container mode runs the function's
image (`images.build_image`) under the container driver of `lambdabox run`.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lambdabox.app.errors import AppError
from lambdabox.app.spec import FunctionSpec
from lambdabox.emulator.config import EmulatorConfig, FunctionConfig


@dataclass(frozen=True)
class LaunchSettings:
    """What every function's emulator shares."""

    mode: str  # "process" or "container"
    region: str
    account_id: str
    max_environments: int = 4
    log_level: str = "warn"
    run_id: str = "app"
    retry_delay_scale: float = 1.0
    state_dir: Path | None = None
    destinations: Any = None  # the DestinationSink of asynchronous invocation records


def asynchronous_options(settings: LaunchSettings) -> dict[str, Any]:
    """The emulator's asynchronous-invocation settings (retry delay scale, journal folder,
    destination sink), for the `EmulatorConfig` fields that exist: they arrive with
    `lambdabox.emulator.asyncinvoke`; until then there are none to set."""
    wanted: dict[str, Any] = {
        "retry_delay_scale": settings.retry_delay_scale,
        "state_dir": str(settings.state_dir) if settings.state_dir else None,
        "destinations": settings.destinations,
    }
    names = {f.name for f in dataclasses.fields(EmulatorConfig)}
    return {name: value for name, value in wanted.items() if name in names}


def function_config(spec: FunctionSpec, settings: LaunchSettings) -> FunctionConfig:
    return FunctionConfig(
        name=spec.name,
        memory_mb=spec.memory_mb,
        timeout_s=spec.timeout_s,
        region=settings.region,
        account_id=settings.account_id,
        asynchronous=spec.asynchronous,
    )


def environments(spec: FunctionSpec, settings: LaunchSettings) -> int:
    """ReservedConcurrentExecutions caps the environments (0 is taken as 1, with a note)."""
    if spec.reserved_concurrency is None:
        return settings.max_environments
    return max(1, spec.reserved_concurrency)


def code_folder(spec: FunctionSpec, scratch: Path) -> Path:
    """The folder the runtime starts in: the code folder, or the .zip/inline code unpacked."""
    if spec.inline_code is not None:
        folder = scratch / f"inline-{spec.name}"
        folder.mkdir(parents=True, exist_ok=True)
        module = spec.handler.rsplit(".", 1)[0].replace(".", "/") or "index"
        (folder / f"{module}.py").write_text(spec.inline_code)
        return folder
    assert spec.code is not None
    if spec.code.is_dir():
        return spec.code
    if spec.code.suffix == ".zip":
        folder = scratch / f"zip-{spec.name}"
        try:
            with zipfile.ZipFile(spec.code) as archive:
                archive.extractall(folder)
        except zipfile.BadZipFile:
            raise AppError(
                f"Resources.{spec.path}: {spec.code} is not a valid .zip; rebuild it"
            ) from None
        return folder
    raise AppError(f"Resources.{spec.path}: {spec.code} is neither a folder nor a .zip")


def _layer_paths(spec: FunctionSpec, scratch: Path) -> list[str]:
    paths = []
    for layer in spec.layers:
        folder = layer
        if layer.suffix == ".zip":
            folder = scratch / f"layer-{layer.stem}"
            with zipfile.ZipFile(layer) as archive:
                archive.extractall(folder)
        python = folder / "python"
        paths.append(str(python if python.is_dir() else folder))
    return paths


def process_config(spec: FunctionSpec, settings: LaunchSettings, scratch: Path) -> EmulatorConfig:
    """Run the function as a local process (Python runtimes only)."""
    if spec.is_image or not spec.is_python:
        what = "an Image function" if spec.is_image else f"Runtime {spec.runtime}"
        raise AppError(
            f"{spec.path}: {what} cannot run in process mode; pass --mode container "
            "(or leave --mode out: it is chosen per template)"
        )
    cwd = code_folder(spec, scratch)
    pythonpath = [str(cwd), *_layer_paths(spec, scratch)]
    if os.environ.get("PYTHONPATH"):
        pythonpath.append(os.environ["PYTHONPATH"])
    env = {
        **spec.environment,
        "PYTHONPATH": os.pathsep.join(pythonpath),
        "AWS_LAMBDA_FUNCTION_TIMEOUT": str(spec.timeout_s),
        "LAMBDA_TASK_ROOT": str(cwd),
    }
    return EmulatorConfig(
        command=(sys.executable, "-m", "runtime_interface", spec.handler),
        function=function_config(spec, settings),
        cwd=str(cwd),
        handler=spec.handler,
        runtime_env=env,
        invoke_port=0,
        runtime_api_port=0,
        max_concurrency=environments(spec, settings),
        log_level=settings.log_level,
        extensions_dir=None,
        **asynchronous_options(settings),
    )


def container_config(spec: FunctionSpec, settings: LaunchSettings, image: str) -> EmulatorConfig:
    """Run the function's image in hardened containers (`lambdabox run`'s driver)."""
    from lambdabox.emulator.container import ContainerDriver

    driver = ContainerDriver(
        image,
        run_id=f"{settings.run_id}-{spec.name.lower()}"[:60],
        memory_mb=spec.memory_mb,
        command=[spec.handler] if spec.is_image and spec.handler else None,
    )
    return EmulatorConfig(
        command=(),
        function=function_config(spec, settings),
        handler=spec.handler or None,
        runtime_env={**spec.environment, "AWS_LAMBDA_FUNCTION_TIMEOUT": str(spec.timeout_s)},
        invoke_port=0,
        runtime_api_port=0,
        max_concurrency=environments(spec, settings),
        log_level=settings.log_level,
        driver=driver,
        **asynchronous_options(settings),
    )
