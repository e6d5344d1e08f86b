"""Blueprints: ready-to-test function projects for common triggers (`lambdabox init`).

    >>> from lambdabox.blueprints import create
    >>> project = create("thumbnails", "s3-event", directory="functions")

A blueprint is a directory of templates, ``lambdabox/blueprints/templates/<blueprint>/``:
every file ends in ``.tmpl`` (so linters and test runners leave it alone), which is dropped
when it is written, and ``{{name}}`` in it becomes the project's name. A blueprint for a
trigger also gets ``event.json``, that trigger's sample event from :mod:`lambdabox.events`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from lambdabox import events

__all__ = [
    "BlueprintError",
    "InvalidName",
    "ProjectExists",
    "UnknownBlueprint",
    "create",
    "describe",
    "names",
    "render",
]

TEMPLATES = Path(__file__).resolve().parent / "templates"
SUFFIX = ".tmpl"

# a repository path component of an image name: it names the directory and the image NAME:dev
NAME_PATTERN = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")


@dataclass(frozen=True)
class _Blueprint:
    description: str
    event: str | None = None  # the sample written as event.json


_BLUEPRINTS: dict[str, _Blueprint] = {
    "hello": _Blueprint("a function that greets whoever the event names"),
    "http-api": _Blueprint(
        "an HTTP API (API Gateway HTTP API or function URL, payload 2.0) with routes",
        "apigateway-http",
    ),
    "s3-event": _Blueprint("reacts to S3 object created/removed notifications", "s3-put"),
    "sqs-batch": _Blueprint("consumes SQS batches, reporting partial batch failures", "sqs"),
    "scheduled": _Blueprint("runs on an EventBridge schedule (rate or cron)", "scheduled"),
}


class BlueprintError(Exception):
    """The project cannot be created; the message says why and what to do."""


class UnknownBlueprint(BlueprintError, KeyError):
    def __init__(self, name: str) -> None:
        super().__init__(f"unknown blueprint {name}; `lambdabox init --list` shows the blueprints")

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class InvalidName(BlueprintError, ValueError):
    """The project name cannot name a directory and an image."""


class ProjectExists(BlueprintError, FileExistsError):
    """The project's directory exists and is not empty."""


def names() -> list[str]:
    """The blueprints, in the order `lambdabox init --list` prints them."""
    return list(_BLUEPRINTS)


def _blueprint(name: str) -> _Blueprint:
    try:
        return _BLUEPRINTS[name]
    except KeyError:
        raise UnknownBlueprint(name) from None


def describe(name: str) -> str:
    """A one-line description of the blueprint ``name``."""
    return _blueprint(name).description


def render(blueprint: str, name: str) -> dict[str, str]:
    """The project's files, relative path (POSIX) -> text, without writing anything."""
    spec = _blueprint(blueprint)
    root = TEMPLATES / blueprint
    files: dict[str, str] = {}
    for template in sorted(root.rglob(f"*{SUFFIX}")):
        relative = template.relative_to(root).as_posix()[: -len(SUFFIX)]
        files[relative] = template.read_text(encoding="utf-8").replace("{{name}}", name)
    if spec.event is not None:
        files["event.json"] = json.dumps(events.sample(spec.event), indent=2) + "\n"
    return files


def create(name: str, blueprint: str = "hello", directory: str | Path = ".") -> Path:
    """Write the blueprint's project to ``directory/name`` and return that path.

    Raises :class:`InvalidName`, :class:`ProjectExists` (the directory exists and holds
    files) or :class:`UnknownBlueprint`, all :class:`BlueprintError`.
    """
    if not NAME_PATTERN.fullmatch(name) or len(name) > 128:
        raise InvalidName(
            f"invalid NAME {name!r}: use lowercase letters and digits, separated by '.', '_' "
            f"or '-' (it names the directory and the image {name.lower() or 'NAME'}:dev)"
        )
    files = render(blueprint, name)
    project = Path(directory) / name
    if project.exists() and (not project.is_dir() or any(project.iterdir())):
        raise ProjectExists(
            f"{project} already exists and is not empty; choose another NAME or --directory, "
            f"or move {project} away first"
        )
    for relative, text in files.items():
        target = project / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("x", encoding="utf-8", newline="\n") as f:
            f.write(text)
    return project
