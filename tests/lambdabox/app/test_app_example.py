"""The README's example application (examples/app) end to end through `lambda_app_factory`:
an HTTP API route, the Invoke API, a schedule advanced by a day. It needs the HTTP front
and the schedule trigger packages."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from lambdabox.harness.app import LambdaApp

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "app" / "template.yaml"


def test_readme_example(lambda_app_factory: Callable[..., LambdaApp]) -> None:
    app = lambda_app_factory(EXAMPLE)
    assert app.invoke("HelloFunction", {}).status == 200
    answer = app.http.get("/hello/ada")
    assert answer.status_code == 200
    assert answer.json() == {"message": "Hello, ada!", "stage": "dev"}
    assert app.app.template is not None
    url = app.app.template.outputs["HelloUrl"]  # the function URL's own port, once bound
    assert url != f"http://127.0.0.1:{app.config.http_port}/"
    assert app.http.get(url).json()["message"] == "Hello, world!"
    fired = app.schedule.advance(days=1)
    assert [f.function for f in fired] == ["ReportFunction"]
    assert "report run {'version': '0'" not in app.logs("ReportFunction")  # Input replaces it
    assert "report run {'kind': 'nightly'}" in app.logs("ReportFunction")
