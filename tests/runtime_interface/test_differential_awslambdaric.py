"""Differential: the scenario handlers under the emulator, our client vs awslambdaric (PyPI).

For each Python that has awslambdaric (the host's, from the dev dependencies; others found
on this machine get a cached venv of their own), both clients run the same handlers with
the same events and `AWS_EXECUTION_ENV` the service sets for that Python; the raw answers
(status, function-error header, content type, body bytes) and the error log records must
be the same bytes once request ids and timestamps are masked.
"""

from __future__ import annotations

import importlib
import importlib.util
import random
import re
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from lambdabox.emulator.config import EmulatorConfig, FunctionConfig
from lambdabox.harness import BackgroundEmulator
from runtime_interface import _codec

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "tests" / "scenarios"
OTHER_PYTHONS = ("3.9", "3.12", "3.13")
UUID = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
STAMP = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z")

BAD_EVENTS = [  # one per kind of fault simplejson's decoder reports, and what it accepts
    b"{not json",
    b"{",
    b'{"a":1,}',
    b'{"a":1,x}',
    b'{"a" 1}',
    b'{"a":1 "b":2}',
    b"[",
    b"[1,]",
    b"[1 2]",
    b"",
    b"  ",
    b"tru",
    b"-",
    b"NaN",
    b"[-Infinity]",
    b'"abc',
    b'"a\nb"',
    b'"\\q"',
    b'"\\u12x4"',
    b'"\\ud800\\u12"',
    b"1 2 3",
    b'{"data": "x"}\n\n]',
    b"\xff\xfe",
    b'\xef\xbb\xbf{"data": "bom"}',
    b"[" * 5000,
]


@dataclass(frozen=True)
class Group:
    """One function (folder, handler, environment) and the events it gets, in order."""

    scenario: str
    handler: str
    events: tuple[bytes, ...] = (b"{}",)
    env: dict[str, str] = field(default_factory=dict)


GROUPS = [
    Group(
        "basic",
        "app.length",
        (b'{"data": "abc"}', b'{"data": "\xc3\xa9t\xc3\xa9 \xf0\x9f\x98\x80"}', *BAD_EVENTS),
    ),
    Group("errors", "app.handler", (b'{"fail": true}', b"[]", b"{}", b'{"fail": 1}')),
    Group("errors", "app.handler", (b'{"fail": true}', b"[]"), {"AWS_LAMBDA_LOG_FORMAT": "JSON"}),
    Group(
        "marshal",
        "app.handler",
        tuple(
            b'{"kind": "%s", "text": "h\xc3\xa9llo \xe2\x9c\x93"}' % kind
            for kind in (
                b"decimal",
                b"unicode",
                b"bytes",
                b"unserializable",
                b"none",
                b"string",
                b"nope",
            )
        ),
    ),
    Group("init_errors", "raises.handler"),
    Group("init_errors", "raises.handler", env={"AWS_LAMBDA_LOG_FORMAT": "JSON"}),
    Group("init_errors", "imports_missing.handler"),
    Group("init_errors", "syntax.handler"),
    Group("init_errors", "ok.nope"),
    Group("init_errors", "nodots"),
    Group("init_errors", "pkg.mod.handler"),
    Group("init_errors", "pkg/mod.handler"),
]


def _version(python: Path) -> str:
    done = subprocess.run(
        [str(python), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def _other_python(version: str) -> Path | None:
    """pythonX.Y from pyenv's versions or the system, if this machine has it."""
    pyenv = Path.home() / ".pyenv" / "versions"
    for path in [
        *sorted(pyenv.glob(f"{version}*/bin/python{version}")),
        Path(f"/usr/bin/python{version}"),
    ]:
        if path.exists():
            return path
    return None


def _venv_with_awslambdaric(python: Path, folder: Path) -> Path | None:
    """A venv of `python` with awslambdaric (cached in pytest's cache); None if it cannot."""
    venv_python = folder / "bin" / "python"
    stamp = folder / ".ready"
    if stamp.exists():
        return venv_python
    made = subprocess.run(
        [str(python), "-m", "venv", "--clear", str(folder)], capture_output=True, check=False
    )
    if made.returncode != 0:
        return None
    pip = subprocess.run(
        [str(venv_python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
         "awslambdaric"],
        capture_output=True,
        check=False,
        timeout=600,
    )  # fmt: skip
    if pip.returncode != 0:
        return None
    stamp.write_text("ok")
    return venv_python


@pytest.fixture(scope="module", params=["host", *OTHER_PYTHONS])
def python(request: pytest.FixtureRequest) -> Path:
    """An interpreter that has awslambdaric, and can import this checkout's client."""
    if request.param == "host":
        if importlib.util.find_spec("awslambdaric") is None:
            pytest.skip("awslambdaric is not installed (a dev dependency: make setup)")
        return Path(sys.executable)
    if request.param == f"{sys.version_info[0]}.{sys.version_info[1]}":
        pytest.skip("the host's Python is covered by the 'host' run")
    base = _other_python(request.param)
    if base is None:
        pytest.skip(f"no python{request.param} on this machine")
    name = f"awslambdaric-py{request.param}"
    cache_provider = getattr(request.config, "cache", None)  # absent with -p no:cacheprovider
    cache = (
        Path(cache_provider.mkdir(name))
        if cache_provider is not None
        else request.getfixturevalue("tmp_path_factory").mktemp(name)
    )
    venv = _venv_with_awslambdaric(base, cache)
    if venv is None:
        pytest.skip(f"awslambdaric does not install for python{request.param} here")
    return venv


def _invoke(url: str, body: bytes) -> bytes:
    request = urllib.request.Request(url, data=body, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            status, headers, payload = answer.status, answer.headers, answer.read()
    except urllib.error.HTTPError as error:
        status, headers, payload = error.code, error.headers, error.read()
    head = f"{status} {headers.get('X-Amz-Function-Error')} {headers.get('Content-Type')}\n"
    return head.encode() + bytes(payload)


def _mask(data: bytes) -> bytes:
    return STAMP.sub(b"<time>", UUID.sub(b"<request-id>", data))


def _run(python: Path, client: str, group: Group) -> tuple[list[bytes], list[bytes]]:
    """(answers, error log records) of `group` run with `client` under the emulator."""
    env = {
        "AWS_EXECUTION_ENV": f"AWS_Lambda_python{_version(python)}",
        "PYTHONPATH": str(ROOT),  # our client, for interpreters other than the venv's
        **group.env,
    }
    config = EmulatorConfig(
        command=(str(python), "-m", client, group.handler),
        cwd=str(SCENARIOS / group.scenario),
        handler=group.handler,
        function=FunctionConfig(name="differential", timeout_s=30, memory_mb=256),
        runtime_env=env,
        invoke_port=0,
        runtime_api_port=0,
        extensions_dir=None,
    )
    emulator = BackgroundEmulator(config).start()
    try:
        answers = [_mask(_invoke(emulator.url, event)) for event in group.events]
        lines = list(emulator.lines)
    finally:
        emulator.stop()
    records = [
        _mask(line.encode("utf-8", "surrogateescape"))
        for line in lines
        if line.startswith("[ERROR] ") or '"level": "ERROR"' in line
    ]
    return answers, records


@pytest.mark.slow
@pytest.mark.parametrize("group", GROUPS, ids=lambda g: f"{g.scenario}-{g.handler}-{len(g.env)}")
def test_same_bytes_as_awslambdaric(python: Path, group: Group) -> None:
    theirs = _run(python, "awslambdaric", group)
    ours = _run(python, "runtime_interface", group)
    for event, mine, reference in zip(group.events, ours[0], theirs[0], strict=True):
        assert mine == reference, f"event {event[:60]!r}"
    assert ours[1] == theirs[1]


def _simplejson() -> Any:
    try:
        return importlib.import_module("simplejson")
    except ImportError:
        pytest.skip("simplejson (awslambdaric's) is not installed: make setup")


def _mutants(count: int, seed: int) -> Iterator[str]:
    """Valid documents damaged at random: deletions, insertions, truncations."""
    rng = random.Random(seed)
    seeds = [
        '{"a": [1, 2.5, -3e4, "x\\u00e9\\n", true, false, null], "b": {"c": "d"}}',
        '[{"k":[[]]},{}, "\\ud83d\\ude00"]',
        '  "str"  ',
        "12.5e-3",
    ]
    pieces = [*'{}[]",:\\ u0123456789abcdefntrls-+.eE\n\t\r\x01', "NaN", "Infinity", "\ufeff"]
    pieces += ["\\u", "\\ud800", "\\udc00", "true", "null"]
    for _ in range(count):
        text = list(rng.choice(seeds))
        for _ in range(rng.randint(1, 3)):
            position = rng.randrange(len(text) + 1)
            roll = rng.random()
            if roll < 0.4 and text:
                del text[min(position, len(text) - 1)]
            elif roll < 0.8:
                text.insert(position, rng.choice(pieces))
            else:
                text = text[:position]
        yield "".join(text)


def _outcome(loads: Any, text: str) -> str:
    try:
        return repr(loads(text))
    except ValueError as exc:
        return f"error: {exc}"


def test_event_parsing_matches_simplejson_on_damaged_documents() -> None:
    """Every verdict and error message of simplejson's decoder, on 20,000 damaged documents."""
    simplejson = _simplejson()
    differing = [
        text
        for text in _mutants(20_000, seed=9)
        if _outcome(_codec.loads, text) != _outcome(simplejson.loads, text)
    ]
    assert differing == []
