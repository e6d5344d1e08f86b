"""Property-based tests of both emulator APIs against their own ``/openapi.json`` (schemathesis).

A real emulator (python runtime, real subprocess) serves the Invoke API and the
Runtime API on 127.0.0.1; schemathesis generates requests from each served
document and checks every response: its status is documented for the operation
(so no undocumented 5xx), its content type and JSON body fit the document, and
it arrives within the request timeout (no hang).  The long-poll operations
(``.../next``) are left out: they wait for an event by design.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.schemas import BaseSchema
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from lambdabox.testing.emulator import RunningEmulator, emulator, python_runtime

CHECKS = (status_code_conformance, content_type_conformance, response_schema_conformance)
SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
REQUEST_TIMEOUT = 10.0


@pytest.fixture(scope="module")
def running() -> Iterator[RunningEmulator]:
    # The test calls the Runtime API itself: any process may (not only the runtime's).
    with emulator(
        python_runtime("app.handler"), max_concurrency=2, timeout_s=5, runtime_api_peers="any"
    ) as emu:
        yield emu


def _schema(url: str) -> BaseSchema:
    document = requests.get(f"{url}/openapi.json", timeout=5).json()
    return schemathesis.from_dict(document, base_url=url)


@pytest.fixture
def invoke_schema(running: RunningEmulator) -> BaseSchema:
    return _schema(running.base_url)


@pytest.fixture
def runtime_schema(running: RunningEmulator) -> BaseSchema:
    schema = _schema(f"http://{running.emulator.runtime_api_address}")
    return schema.exclude(path_regex=r"/next$")


with warnings.catch_warnings():
    # schemathesis 3.39 warns about its own default filter arguments
    warnings.simplefilter("ignore", DeprecationWarning)
    invoke_api = schemathesis.from_pytest_fixture("invoke_schema")
    runtime_api = schemathesis.from_pytest_fixture("runtime_schema")


@invoke_api.parametrize()
@SETTINGS
def test_invoke_api_conforms(case: schemathesis.Case) -> None:
    case.call_and_validate(checks=CHECKS, timeout=REQUEST_TIMEOUT)


@runtime_api.parametrize()
@SETTINGS
def test_runtime_api_conforms(case: schemathesis.Case) -> None:
    case.call_and_validate(checks=CHECKS, timeout=REQUEST_TIMEOUT)
