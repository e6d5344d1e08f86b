"""Every response of both APIs matches the OpenAPI documents served at /openapi.json."""

from __future__ import annotations

import json
import re
from typing import Any

import jsonschema
import requests

from lambdabox.testing.emulator import emulator, python_runtime


def _operation(spec: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    for template, item in spec["paths"].items():
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
        if re.match(pattern, path) and method.lower() in item:
            return dict(item[method.lower()])
    raise AssertionError(f"{method} {path} is not in the OpenAPI document")


def check(spec: dict[str, Any], method: str, path: str, resp: requests.Response) -> None:
    """The status is documented for this operation, and a JSON body fits its schema."""
    responses = _operation(spec, method, path)["responses"]
    assert str(resp.status_code) in responses, f"{method} {path}: {resp.status_code} undocumented"
    content = responses[str(resp.status_code)].get("content", {})
    schema = content.get("application/json", {}).get("schema")
    if schema and resp.headers.get("Content-Type", "").startswith("application/json"):
        jsonschema.validate(json.loads(resp.content), schema)


def test_responses_match_the_documents() -> None:
    # The test calls the Runtime API itself: any process may (not only the runtime's).
    with emulator(python_runtime("app.handler"), max_concurrency=1, runtime_api_peers="any") as emu:
        invoke_spec = requests.get(f"{emu.base_url}/openapi.json", timeout=5).json()
        runtime_base = f"http://{emu.emulator.runtime_api_address}"
        runtime_spec = requests.get(f"{runtime_base}/openapi.json", timeout=5).json()
        assert invoke_spec["openapi"].startswith("3.")
        assert runtime_spec["paths"]
        invoke_path = "/2015-03-31/functions/function/invocations"
        cases: list[tuple[dict[str, str], bytes]] = [
            ({}, b'{"ok": 1}'),
            ({}, b'{"action": "fail"}'),
            ({"X-Amz-Invocation-Type": "DryRun"}, b"{}"),
            ({"X-Amz-Invocation-Type": "Event"}, b"{}"),
            ({"X-Amz-Invocation-Type": "Bogus"}, b"{}"),
            ({"X-Amz-Client-Context": "%%%"}, b"{}"),
            ({}, b"x" * (6 * 1024 * 1024 + 1)),
        ]
        for headers, body in cases:
            resp = emu.session.post(
                f"{emu.base_url}{invoke_path}", data=body, headers=headers, timeout=30
            )
            check(invoke_spec, "POST", invoke_path, resp)
        wrong = "/2018-06-01/runtime/invocation/not-a-request/response"
        check(
            runtime_spec, "POST", wrong, requests.post(runtime_base + wrong, data=b"{}", timeout=5)
        )
        init = "/2018-06-01/runtime/init/error"
        check(runtime_spec, "POST", init, requests.post(runtime_base + init, data=b"{}", timeout=5))
        register = "/2020-01-01/extension/register"
        check(
            runtime_spec,
            "POST",
            register,
            requests.post(runtime_base + register, json={"events": ["INVOKE"]}, timeout=5),
        )
        telemetry = "/2022-07-01/telemetry"
        check(
            runtime_spec,
            "PUT",
            telemetry,
            requests.put(runtime_base + telemetry, json={}, timeout=5),
        )
