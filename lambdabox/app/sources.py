"""The trigger packages an application runs, and the local AWS endpoint they need.

Trigger factories run in the agreed order (http, schedule, sqs, rabbitmq, streams); each
package exports `triggers(template, invoker, settings)` and, for sources whose resources
live on an endpoint, `provision(template, endpoint, settings)` which creates them there.
A package that is not installed is skipped with a debug note.

A template that declares queues, streams or tables and no endpoint was given gets moto's
server (one process serves SQS, Kinesis and DynamoDB), started before the template is
resolved so queue URLs resolve to it.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from lambdabox.app.errors import AppError
from lambdabox.services.moto_server import MotoServer, ServiceError
from lambdabox.template.loader import read_template
from lambdabox.template.model import Template
from lambdabox.triggers.ports import AppSettings, FunctionInvoker, Trigger

TRIGGER_PACKAGES = (
    "lambdabox.triggers.http",
    "lambdabox.triggers.schedule",
    "lambdabox.triggers.sqs",
    "lambdabox.triggers.rabbitmq",
    "lambdabox.triggers.streams",
)
ENDPOINT_TYPES = frozenset({"AWS::SQS::Queue", "AWS::Kinesis::Stream", "AWS::DynamoDB::Table"})
ENDPOINT_EVENTS = frozenset({"SQS", "Kinesis", "DynamoDB"})


def _package(name: str, debug: Callable[[str], None]) -> ModuleType | None:
    """A trigger package (all ship with lambdabox; a failing import is a real error)."""
    del debug
    return importlib.import_module(name)


def needs_endpoint(doc: dict[str, Any], folder: Path, depth: int = 0) -> bool:
    """Whether a raw template (or a local nested one) declares queues, streams or tables."""
    for body in (doc.get("Resources") or {}).values():
        kind = body.get("Type")
        if kind in ENDPOINT_TYPES:
            return True
        props = body.get("Properties") or {}
        if not isinstance(props, dict):
            continue
        events = props.get("Events") or {}
        if isinstance(events, dict) and any(
            isinstance(e, dict) and e.get("Type") in ENDPOINT_EVENTS for e in events.values()
        ):
            return True
        location = props.get("Location") or props.get("TemplateURL")
        if isinstance(location, str) and "://" not in location and depth < 5:
            try:
                child = read_template((folder / location).resolve())
            except Exception:
                continue
            if needs_endpoint(child, (folder / location).resolve().parent, depth + 1):
                return True
    return False


def start_moto(host: str) -> MotoServer:
    """moto's server on `host` (a free port), as the local SQS/Kinesis/DynamoDB endpoint."""
    try:
        return MotoServer(host).start()
    except ServiceError as exc:
        raise AppError(str(exc)) from None


def _own_error(exc: Exception) -> bool:
    """An error of a trigger package's (or a local service's) own hierarchy: its message
    names the resource and the fix, so it is shown as is, without a traceback."""
    module = type(exc).__module__
    return module.startswith(("lambdabox.triggers.", "lambdabox.services."))


async def provision(
    template: Template, endpoint: str, settings: AppSettings, debug: Callable[[str], None]
) -> None:
    """Let each source package create its resources (queues, streams, tables) on `endpoint`
    (a package's `provision` may be a plain function or a coroutine function)."""
    for name in TRIGGER_PACKAGES:
        module = _package(name, debug)
        make = getattr(module, "provision", None) if module is not None else None
        if make is None:
            continue
        try:
            made = make(template, endpoint, settings)
            if inspect.isawaitable(made):
                await made
        except Exception as exc:
            if not _own_error(exc):
                raise
            raise AppError(f"{name.rsplit('.', 1)[-1]}: {exc}") from None


async def start_triggers(
    template: Template,
    invoker: FunctionInvoker,
    settings: AppSettings,
    debug: Callable[[str], None],
) -> list[Trigger]:
    """Every trigger of the template, started, in the agreed order."""
    started: list[Trigger] = []
    for name in TRIGGER_PACKAGES:
        module = _package(name, debug)
        factory = getattr(module, "triggers", None) if module is not None else None
        if factory is None:
            continue
        try:
            made: Sequence[Trigger] = factory(template, invoker, settings)
            if inspect.isawaitable(made):
                made = await made
            for trigger in made:
                await trigger.start()
                started.append(trigger)
        except Exception as exc:
            for trigger in reversed(started):  # what did start is stopped again
                await trigger.close()
            if not _own_error(exc):
                raise
            raise AppError(f"{name.rsplit('.', 1)[-1]}: {exc}") from None
    return started
