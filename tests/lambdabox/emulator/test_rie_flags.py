"""aws-lambda-rie reads its own flags anywhere on its command line, after the runtime's
words too (its own test_port_override runs `aws-lambda-rie /lambda-entrypoint.sh
app.handler --runtime-interface-emulator-address 0.0.0.0:8081`); `lambdabox emulate`, and
the images' aws-lambda-rie built on it, do the same, and keep `--` for the runtime's words."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from lambdabox.emulator import cli
from lambdabox.emulator.config import ConfigError, EmulatorConfig
from lambdabox.testing.processes import free_port

BASIC = Path(__file__).resolve().parents[2] / "scenarios" / "basic"
ENTRYPOINT = """\
#!/bin/sh
# as /lambda-entrypoint.sh: exactly one argument, the handler
if [ $# -ne 1 ]; then
  echo "entrypoint requires the handler name to be the first argument" 1>&2
  exit 142
fi
exec "$RUNTIME_PYTHON" -m runtime_interface "$1"
"""


def _config(*argv: str) -> EmulatorConfig:
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    return cli.build_config(parser.parse_args(list(argv)), {})


def test_address_after_the_handler_is_the_emulators() -> None:
    config = _config(
        "/lambda-entrypoint.sh",
        "app.handler",
        "--runtime-interface-emulator-address",
        "0.0.0.0:8081",
    )
    assert config.command == ("/lambda-entrypoint.sh", "app.handler")
    assert config.handler == "app.handler"
    assert (config.invoke_host, config.invoke_port) == ("0.0.0.0", 8081)


def test_every_rie_flag_in_both_spellings_between_the_words() -> None:
    config = _config(
        "/var/runtime/bootstrap",
        "--log-level=debug",
        "--enable-init-caching",
        "app.handler",
        "--runtime-api-address",
        "127.0.0.1:9009",
        "--runtime-interface-emulator-address=127.0.0.1:8099",
    )
    assert config.command == ("/var/runtime/bootstrap", "app.handler")
    assert config.log_level == "debug"
    assert (config.runtime_api_host, config.runtime_api_port) == ("127.0.0.1", 9009)
    assert (config.invoke_host, config.invoke_port) == ("127.0.0.1", 8099)


def test_flags_after_the_command_override_those_before() -> None:
    config = _config("--log-level", "warn", "/bootstrap", "h.h", "--log-level", "error")
    assert config.log_level == "error"


def test_double_dash_passes_the_words_after_it_to_the_runtime() -> None:
    config = _config("--", "node", "app.js", "--log-level", "debug")
    assert config.command == ("node", "app.js", "--log-level", "debug")
    assert config.log_level == "info"
    config = _config("/bootstrap", "--log-level", "warn", "--", "--runtime-api-address", "x")
    assert config.command == ("/bootstrap", "--runtime-api-address", "x")
    assert config.log_level == "warn"
    assert config.runtime_api_port == 9001
    assert _config("--", "a", "--", "b").command == ("a", "--", "b")  # only the first is ours


def test_a_flag_without_its_value_names_the_fix() -> None:
    with pytest.raises(ConfigError, match=r"--log-level needs a value, e.g. --log-level debug"):
        _config("/bootstrap", "app.handler", "--log-level")
    with pytest.raises(ConfigError, match="--log-level: "):
        _config("/bootstrap", "app.handler", "--log-level", "loud")


def test_bad_flag_after_the_command_is_a_usage_error() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "lambdabox", "emulate", "/bin/true", "h.h", "--runtime-api-address"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "--runtime-api-address needs a value" in done.stderr
    assert "Traceback" not in done.stderr


def _invoke_until_up(port: int, body: bytes, proc: subprocess.Popen[bytes]) -> bytes:
    url = f"http://127.0.0.1:{port}/2015-03-31/functions/function/invocations"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(url, data=body, timeout=10) as answer:
                return bytes(answer.read())
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.1)
    raise AssertionError(f"the Invoke API never answered on port {port} (exit {proc.poll()})")


def test_entrypoint_gets_the_handler_alone_and_the_port_opens(tmp_path: Path) -> None:
    entrypoint = tmp_path / "lambda-entrypoint.sh"
    entrypoint.write_text(ENTRYPOINT)
    entrypoint.chmod(0o755)
    port = free_port()
    command = [
        sys.executable, "-m", "lambdabox", "emulate", "--runtime-api-address", "127.0.0.1:0",
        str(entrypoint), "app.length",
        "--runtime-interface-emulator-address", f"127.0.0.1:{port}", "--log-level", "debug",
    ]  # fmt: skip
    errors = tmp_path / "stderr.log"
    with errors.open("wb") as sink:
        proc = subprocess.Popen(
            command,
            cwd=BASIC,
            env={**_environ(), "RUNTIME_PYTHON": sys.executable},
            stdout=subprocess.DEVNULL,
            stderr=sink,
        )
    try:
        assert _invoke_until_up(port, b'{"data": "abc"}', proc) == b'{"length": 3}'
    finally:
        proc.terminate()
        proc.wait(30)
    log = errors.read_text()
    assert "entrypoint requires" not in log
    assert "/2018-06-01/runtime/invocation/next" in log  # --log-level debug, given last, took


def _environ() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("AWS_LAMBDA_")}


def _cannot_build_bases() -> str:
    if os.geteuid() != 0:
        return "building base images needs root (mmdebstrap)"
    if shutil.which("mmdebstrap") is None or shutil.which("docker") is None:
        return "mmdebstrap or docker is not installed"
    return ""


@pytest.mark.slow
def test_the_images_aws_lambda_rie_reads_flags_after_the_handler(tmp_path: Path) -> None:
    """aws-lambda-rie's own test_port_override, in a python3.11 base image (built, or taken
    from the builder's cache), run by Docker."""
    reason = _cannot_build_bases()
    if reason:
        pytest.skip(reason)
    from builder import Cache, write_docker_archive
    from builder.base import ensure_base
    from builder.oci.layout import read_layout

    image = read_layout(ensure_base("python3.11", Cache.default()), "python3.11")
    tag = f"lambdabox-test-rie-flags:{os.getpid()}"
    archive = tmp_path / "image.tar"
    with archive.open("wb") as sink:
        write_docker_archive(image, sink, tags=[tag])
    with archive.open("rb") as source:
        subprocess.run(["docker", "load"], stdin=source, capture_output=True, check=True)
    task = tmp_path / "task"
    task.mkdir()
    (task / "app.py").write_text("def handler(event, context):\n    return {'got': event}\n")
    task.chmod(0o755)
    port = free_port()
    name = f"lambdabox-test-rie-flags-{os.getpid()}-{port}"
    started = subprocess.run(
        [
            "docker", "run", "-d", "--rm", "--name", name, "--network", "host",
            "-v", f"{task}:/var/task:ro", "--entrypoint", "/usr/local/bin/aws-lambda-rie", tag,
            "/lambda-entrypoint.sh", "app.handler",
            "--runtime-interface-emulator-address", f"127.0.0.1:{port}",
            "--runtime-api-address", f"127.0.0.1:{free_port()}",
        ],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    try:
        assert started.returncode == 0, started.stderr
        watcher = subprocess.Popen(["docker", "wait", name], stdout=subprocess.DEVNULL)
        try:
            answer = _invoke_until_up(port, '{"name": "é"}'.encode(), watcher)
        finally:
            watcher.kill()
            watcher.wait()
        assert answer == b'{"got": {"name": "\\u00e9"}}'  # python3.11: escaped, as the service
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True, check=False)
        subprocess.run(["docker", "image", "rm", "-f", tag], capture_output=True, check=False)
