"""Sample events: what each trigger hands a function, in the shapes AWS documents.

    >>> from lambdabox.events import sample
    >>> event = sample("s3-put", {"Records.0.s3.object.key": "photos/cat.jpg"})

The samples are JSON files shipped in ``lambdabox/events/samples/``; every call returns a
fresh copy, so callers may change it freely.

Overrides (``sample(name, overrides)``, ``lambdabox event NAME --set path=value``):

* ``path`` is a dotted path into the event; list items are numbers:
  ``Records.0.s3.object.key``, ``requestContext.http.method``.
* ``value`` is parsed as JSON when it parses (``42``, ``true``, ``null``, ``{"a": 1}``,
  ``"quoted"``), else it is taken as a string (``photos/cat.jpg``).
* Fields the service always delivers as text stay text: the ``body`` of HTTP events
  (API Gateway, function URLs, ALB) and their header, query string, path parameter and
  stage variable values, an SQS message ``body``, an SNS ``Message``. For those the value
  is used verbatim, so ``body={"a":1}`` gives the string ``'{"a":1}'``, the
  JSON text as typed; only ``null`` is parsed (no body).
* The path must exist in the sample, except a new name in a map of names (headers, query
  string and path parameters, stage variables, message attributes, EventBridge ``detail``)
  and the optional top-level fields of HTTP events (``body``, ``cookies``, ...). Anything
  else is an :class:`EventError` naming the longest prefix that does exist.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

__all__ = ["EventError", "UnknownEventSource", "describe", "names", "parse_assignment", "sample"]

SAMPLES = Path(__file__).resolve().parent / "samples"

_HTTP_MAPS = (
    "headers",
    "multiValueHeaders",
    "queryStringParameters",
    "multiValueQueryStringParameters",
    "pathParameters",
    "stageVariables",
)


@dataclass(frozen=True)
class _Source:
    description: str
    text: tuple[str, ...] = ()  # fields whose value stays a string ("*" matches any name)
    open_maps: tuple[str, ...] = ()  # objects that take new names
    optional: tuple[str, ...] = ()  # fields that may be absent from the sample, and added


_TEXT_MAPS = ("headers", "queryStringParameters", "pathParameters", "stageVariables")
_HTTP_TEXT = ("body", *(f"{m}.*" for m in _TEXT_MAPS))

_V1 = _Source(
    "",
    text=_HTTP_TEXT,
    open_maps=_HTTP_MAPS,
    optional=("body", *_HTTP_MAPS),
)
_V2 = _Source(
    "",
    text=_HTTP_TEXT,
    open_maps=_TEXT_MAPS,
    optional=("body", "cookies", "queryStringParameters", "pathParameters", "stageVariables"),
)

_SOURCES: dict[str, _Source] = {
    "apigateway-rest": replace(
        _V1, description="API Gateway REST API, Lambda proxy integration (payload format 1.0)"
    ),
    "apigateway-http": replace(_V2, description="API Gateway HTTP API (payload format 2.0)"),
    "function-url": replace(_V2, description="Lambda function URL request (payload format 2.0)"),
    "alb": replace(_V1, description="Application Load Balancer request to a Lambda target"),
    "s3-put": _Source("S3 notification: object created (ObjectCreated:Put)"),
    "s3-delete": _Source("S3 notification: object deleted (ObjectRemoved:Delete)"),
    "sqs": _Source(
        "SQS batch of two messages (event source mapping)",
        text=("Records.*.body",),
        open_maps=("Records.*.messageAttributes", "Records.*.attributes"),
    ),
    "sns": _Source(
        "SNS notification",
        text=("Records.*.Sns.Message",),
        open_maps=("Records.*.Sns.MessageAttributes",),
        optional=("Records.*.Sns.Subject",),
    ),
    "dynamodb": _Source(
        "DynamoDB Streams batch: INSERT, MODIFY and REMOVE of one item",
        open_maps=(
            "Records.*.dynamodb.Keys",
            "Records.*.dynamodb.NewImage",
            "Records.*.dynamodb.OldImage",
        ),
    ),
    "kinesis": _Source("Kinesis Data Streams record (data is base64)"),
    "eventbridge": _Source("EventBridge event from a custom source", open_maps=("detail",)),
    "scheduled": _Source(
        "EventBridge scheduled rule (source aws.events, detail-type Scheduled Event)",
        open_maps=("detail",),
    ),
}


class EventError(ValueError):
    """A bad override: a path the event does not have, or a malformed ``path=value``."""


class UnknownEventSource(EventError, KeyError):
    """No sample by that name."""

    def __init__(self, name: str) -> None:
        super().__init__(f"unknown event source {name}; `lambdabox event --list` shows the sources")
        self.name = name

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class _Missing(Exception):
    """A path the event lacks; the message names its longest existing prefix."""


def names() -> list[str]:
    """The event sources, in the order `lambdabox event --list` prints them."""
    return list(_SOURCES)


def _source(name: str) -> _Source:
    try:
        return _SOURCES[name]
    except KeyError:
        raise UnknownEventSource(name) from None


def describe(name: str) -> str:
    """A one-line description of the event source ``name``."""
    return _source(name).description


def sample(name: str, overrides: Mapping[str, str] = {}) -> dict[str, Any]:
    """A fresh copy of the sample event ``name``, with ``overrides`` (path -> value) applied.

    Values are text, as on the command line: see the module documentation for how they are
    parsed and which paths are accepted.
    """
    source = _source(name)
    event: dict[str, Any] = json.loads((SAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    for path, value in overrides.items():
        _apply(event, source, name, path, value)
    return event


def parse_assignment(text: str) -> tuple[str, str]:
    """``path=value`` (from ``--set``) as ``(path, value)``; the value may contain ``=``."""
    path, sep, value = text.partition("=")
    if not sep or not path.strip():
        raise EventError(
            f"--set takes path=value, e.g. Records.0.s3.object.key=cat.jpg; not {text!r}"
        )
    return path.strip(), value


def _split(path: str) -> list[str]:
    parts = path.split(".")
    if any(not p for p in parts):
        raise EventError(f"bad path {path!r}: empty name between dots")
    return parts


def _matches(parts: list[str], pattern: str) -> bool:
    wanted = pattern.split(".")
    return len(wanted) == len(parts) and all(w in ("*", p) for w, p in zip(wanted, parts))


def _describe_node(node: Any) -> str:
    if isinstance(node, dict):
        keys = ", ".join(sorted(node)) if node else "none"
        return f"an object with keys: {keys}"
    if isinstance(node, list):
        return f"a list of {len(node)} item{'s' if len(node) != 1 else ''}"
    return f"{json.dumps(node)}, not an object or list"


def _missing(prefix: list[str], node: Any, name: str) -> _Missing:
    """A path stops at `prefix` (holding `node`): say what is there, and a near name."""
    where = f"{'.'.join(prefix)} exists and" if prefix else "the event"
    message = f"{where} is {_describe_node(node)}"
    if isinstance(node, dict):
        close = difflib.get_close_matches(name, list(node), n=1)
        if close:
            message += f"; did you mean {'.'.join([*prefix, close[0]])}?"
    return _Missing(message)


def _step(node: Any, part: str, prefix: list[str]) -> Any:
    if isinstance(node, dict) and part in node:
        return node[part]
    if isinstance(node, list) and part.isdigit() and int(part) < len(node):
        return node[int(part)]
    raise _missing(prefix, node, part)


def _walk(event: Any, parts: list[str]) -> Any:
    node = event
    for i, part in enumerate(parts):
        node = _step(node, part, parts[:i])
    return node


def _assign(parent: Any, parts: list[str], value: Any, *, create: bool) -> None:
    last = parts[-1]
    if isinstance(parent, dict) and (last in parent or create):
        parent[last] = value
    elif isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
        parent[int(last)] = value
    else:
        raise _missing(parts[:-1], parent, last)


def _parse_value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _apply(event: dict[str, Any], source: _Source, name: str, path: str, text: str) -> None:
    parts = _split(path)
    if any(_matches(parts, p) for p in source.text):
        value: Any = None if text.strip() == "null" else text
    else:
        value = _parse_value(text)
    parent_parts = parts[:-1]

    def matches(parts: list[str], patterns: tuple[str, ...]) -> bool:
        return any(_matches(parts, p) for p in patterns)

    create = matches(parts, source.optional) or matches(parent_parts, source.open_maps)
    try:
        if parent_parts and matches(parent_parts, source.open_maps):
            # a map the sample leaves null or out (stageVariables, pathParameters): start one
            grandparent = _walk(event, parent_parts[:-1])
            key = parent_parts[-1]
            if (
                isinstance(grandparent, dict)
                and grandparent.get(key) is None
                and (key in grandparent or matches(parent_parts, source.optional))
            ):
                grandparent[key] = {}
        _assign(_walk(event, parent_parts), parts, value, create=create)
    except _Missing as exc:
        raise EventError(f"no {path} in the {name} event: {exc}") from None
