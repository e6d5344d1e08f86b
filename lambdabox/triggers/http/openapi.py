"""Routes from an API's OpenAPI/Swagger definition (`x-amazon-apigateway-integration`)."""

from __future__ import annotations

import dataclasses
import importlib
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from lambdabox.triggers.http.apis import binary_media_types, http_api_cors
from lambdabox.triggers.http.errors import DeclarationError
from lambdabox.triggers.http.model import DEFAULT_ROUTE, HTTP_API, METHODS, Api, Route

ANY_METHOD = "x-amazon-apigateway-any-method"
INTEGRATION = "x-amazon-apigateway-integration"


def load_definition(props: Mapping[str, Any], folder: Path, where: str) -> Mapping[str, Any] | None:
    """`DefinitionBody` (or `Body`), else the local file `DefinitionUri` (JSON or YAML)."""
    body = props.get("DefinitionBody", props.get("Body"))
    if body is not None:
        if not isinstance(body, Mapping):
            raise DeclarationError(where, "DefinitionBody is not an object", "inline the document")
        return body
    uri = props.get("DefinitionUri", props.get("BodyS3Location"))
    if uri is None:
        return None
    if not isinstance(uri, str):
        raise DeclarationError(
            where, f"DefinitionUri is {uri!r} (an S3 location)", "point it at a local file"
        )
    path = Path(uri) if Path(uri).is_absolute() else folder / uri
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DeclarationError(
            where, f"DefinitionUri {uri}: {exc.strerror}", "fix the path"
        ) from None
    try:
        doc = json.loads(text) if path.suffix == ".json" else _yaml(text)
    except ValueError as exc:
        raise DeclarationError(
            where, f"DefinitionUri {uri} is not valid: {exc}", "fix it"
        ) from None
    if not isinstance(doc, Mapping):
        raise DeclarationError(where, f"DefinitionUri {uri} is not a document", "fix it")
    return doc


def _yaml(text: str) -> Any:
    try:
        yaml: Any = importlib.import_module("yaml")
    except ImportError:
        return json.loads(text)
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError(str(exc)) from None


def with_extensions(api: Api, doc: Mapping[str, Any], where: str) -> Api:
    """The API with the document's binary media types and (HTTP API) CORS settings."""
    binary = doc.get("x-amazon-apigateway-binary-media-types")
    if binary is not None:
        api = dataclasses.replace(
            api, binary_media_types=api.binary_media_types + binary_media_types(binary, where)
        )
    cors = doc.get("x-amazon-apigateway-cors")
    if cors is not None and api.kind == HTTP_API and api.cors is None:
        api = dataclasses.replace(api, cors=http_api_cors(_capitalised(cors), where))
    return api


def _capitalised(cors: Any) -> Any:
    if not isinstance(cors, Mapping):
        return cors
    return {key[:1].upper() + key[1:]: value for key, value in cors.items()}


def definition_routes(
    api: Api,
    doc: Mapping[str, Any],
    find_function: Callable[[Any], str | None],
    where: str,
    notes: list[str],
) -> list[Route]:
    """One route per operation whose integration is a Lambda proxy integration."""
    paths = doc.get("paths") or {}
    if not isinstance(paths, Mapping):
        raise DeclarationError(where, "the definition's paths is not an object", "fix it")
    routes: list[Route] = []
    for path, item in paths.items():
        if not isinstance(item, Mapping):
            continue
        for key, operation in item.items():
            if key == ANY_METHOD:
                method = "ANY"
            elif key.upper() in METHODS:
                method = key.upper()
            else:
                continue
            here = f"{where} paths.{path}.{key}"
            integration = operation.get(INTEGRATION) if isinstance(operation, Mapping) else None
            if not isinstance(integration, Mapping):
                notes.append(f"{here}: no {INTEGRATION}; not served")
                continue
            if str(integration.get("type", "")).lower() != "aws_proxy":
                notes.append(
                    f"{here}: integration type {integration.get('type')!r} not run locally"
                )
                continue
            function = find_function(integration.get("uri"))
            if function is None:
                notes.append(
                    f"{here}: integration uri {integration.get('uri')!r} names no function"
                )
                continue
            default_payload = "2.0" if api.kind == HTTP_API else "1.0"
            payload = str(integration.get("payloadFormatVersion") or default_payload)
            route_path = DEFAULT_ROUTE if path == DEFAULT_ROUTE else str(path)
            routes.append(Route(api, method, route_path, function, payload, here))
    return routes
