"""`Globals` (Function, Api, HttpApi, SimpleTable, LayerVersion) merged into resources.

The merge is aws-sam-translator's own `Globals` class, the one `sam build`, `sam local`
and the service's transform use, so maps merge deeply, lists concatenate, Architectures
replace and `IgnoreGlobals` is honoured exactly as they do.
"""

from __future__ import annotations

import copy
from typing import Any

from lambdabox.template.errors import TemplateError


def merge_globals(template: dict[str, Any]) -> dict[str, Any]:
    """A copy of `template` with Globals merged into its serverless resources."""
    if "Globals" not in template:
        return template
    # Imported here: the translator brings boto3 along (about half a second).
    from samtranslator.model.exceptions import ExceptionWithMessage
    from samtranslator.plugins.globals.globals import Globals

    doc = copy.deepcopy(template)
    try:
        merger = Globals(doc)
        for logical_id, body in doc["Resources"].items():
            kind = body.get("Type", "")
            if not kind.startswith("AWS::Serverless::"):
                continue
            props = body.get("Properties")
            body["Properties"] = merger.merge(
                kind, props if props is not None else {}, logical_id, body.get("IgnoreGlobals")
            )
    except ExceptionWithMessage as exc:
        raise TemplateError(
            str(exc.message), where="Globals", fix="see the SAM Globals documentation"
        ) from None
    del doc["Globals"]
    return doc
