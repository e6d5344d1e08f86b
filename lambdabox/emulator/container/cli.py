"""`lambdabox run IMAGE`: the emulator with each environment's runtime in a container."""

from __future__ import annotations

import argparse
import os
import sys
import uuid
from collections.abc import Mapping
from typing import Any

from lambdabox.emulator import prestart
from lambdabox.emulator.cli import add_common_arguments
from lambdabox.emulator.config import (
    ConfigError,
    EmulatorConfig,
    function_from_environ,
    runtime_concurrency,
    split_address,
    timeout_and_memory,
)
from lambdabox.emulator.container.driver import ContainerDriver, default_client, describe_error
from lambdabox.emulator.start import common_fields, function_environ, prepare

DESCRIPTION = """\
Run a function image as Lambda does: each execution environment is a container of IMAGE
(its own ENTRYPOINT/CMD) on the host network, as a non-root user, with a read-only root
filesystem, a tmpfs /tmp, no capabilities and the function's memory as its hard limit.
The Lambda Invoke API is served in front of them, with the service's behaviour: timeouts
and crashes recycle the container, concurrent environments, REPORT lines with the
container's peak memory.

examples:
  lambdabox run my-function:latest
  lambdabox run my-function:latest --handler app.handler --env STAGE=dev --max-concurrency 4
  curl -d '{"name": "x"}' http://127.0.0.1:8080/2015-03-31/functions/function/invocations

Only the function's variables (AWS_LAMBDA_FUNCTION_*, AWS_REGION, ...) and --env values
reach the container, never the rest of this shell's environment (credentials included).
Containers are named lambdabox-RUN-ENV-N, labelled lambdabox.run=RUN, and removed on exit.
exit statuses: 0 stopped by SIGINT/SIGTERM, 1 could not start, 2 usage error."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("image", metavar="IMAGE", help="the function's image (local to Docker)")
    add_common_arguments(parser, "127.0.0.1:8080", "container")
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a variable for the function (repeatable)",
    )
    parser.add_argument(
        "--user",
        default="993:993",
        metavar="UID:GID",
        help="who the runtime runs as (default %(default)s: not root, as on Lambda)",
    )
    parser.add_argument(
        "--handler",
        metavar="HANDLER",
        help="passed to the image's entrypoint in place of its CMD (like the AWS base "
        "images' CMD), and exported as _HANDLER",
    )
    parser.add_argument(
        "--function-name",
        metavar="NAME",
        help="the function's name (default: AWS_LAMBDA_FUNCTION_NAME, else test_function)",
    )


def _parse_env(pairs: list[str]) -> dict[str, str]:
    env: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise ConfigError(f"--env takes NAME=VALUE, not {pair!r}")
        env[name] = value
    return env


def build_config(
    args: argparse.Namespace,
    environ: Mapping[str, str],
    *,
    run_id: str | None = None,
    client_factory: Any = None,
) -> EmulatorConfig:
    """The emulator's settings, with a ContainerDriver as its runtime."""
    extra = _parse_env(args.env)
    env = function_environ(args, {**environ, **extra})  # --env may set them too
    if args.function_name:
        env["AWS_LAMBDA_FUNCTION_NAME"] = args.function_name
    fields = common_fields(args)
    user = args.user.strip()
    if not user or not all(part.isdigit() for part in user.split(":")) or user.count(":") > 1:
        raise ConfigError(f"--user takes UID or UID:GID (numbers), not {args.user!r}")
    function = function_from_environ(env)
    invoke_host, invoke_port = split_address(args.listen, "--runtime-interface-emulator-address")
    api_host, api_port = split_address(args.runtime_api_address, "--runtime-api-address")
    runtime_env = {**extra, **timeout_and_memory(env)}
    concurrency = runtime_concurrency(runtime_env.get("AWS_LAMBDA_MAX_CONCURRENCY", ""))
    driver = ContainerDriver(
        args.image,
        client_factory=client_factory,
        run_id=run_id or uuid.uuid4().hex[:12],
        memory_mb=function.memory_mb,
        command=[args.handler] if args.handler else None,
        user=user,
    )
    return EmulatorConfig(
        command=(),
        function=function,
        handler=args.handler,
        runtime_env=runtime_env,
        invoke_host=invoke_host,
        invoke_port=invoke_port,
        runtime_api_host=api_host,
        runtime_api_port=api_port,
        runtime_concurrency=concurrency,
        log_level=args.log_level,
        driver=driver,
        **fields,
    )


def _fail(message: str) -> int:
    sys.stderr.write(f"lambdabox run: {message}\n")
    return 1


def check_image(image: str) -> tuple[Any, str | None]:
    """A Docker client and None, or None and why the image cannot be run. The client is
    the narrow Engine API one (no docker SDK import on the cold path)."""
    from lambdabox.emulator.container.docker_sdk import is_api_error

    try:
        client = default_client()
        client.images.get(image)
    except Exception as exc:
        if is_api_error(exc, 404):
            return None, (
                f"image {image!r} is not in the local Docker daemon: build or load it "
                f"first (docker build -t {image} .), `docker images` lists what is there"
            )
        if is_api_error(exc):
            return None, f"cannot inspect image {image!r}: {describe_error(exc)}"
        if isinstance(exc, ImportError):
            return None, "the docker Python package is missing: pip install 'docker>=7'"
        return None, (
            f"no Docker daemon answers ({describe_error(exc)}): start one "
            "(as root: scripts/setup-host.sh, or dockerd &) and try again"
        )
    return client, None


def _start_ahead(config: EmulatorConfig, driver: ContainerDriver) -> None:
    """Listen, and (eager init) have Docker create and start the first container while
    the emulator imports the rest of itself."""
    from lambdabox.emulator.config import log_stream_name
    from lambdabox.emulator.runtime_env import runtime_environment

    prestart.bind(config.invoke_host, config.invoke_port)
    host, port = prestart.bind(config.runtime_api_host, config.runtime_api_port)
    if config.eager_init:
        env = runtime_environment(config, {})
        version = env.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        env.setdefault("AWS_LAMBDA_LOG_STREAM_NAME", log_stream_name(version))
        env["AWS_LAMBDA_RUNTIME_API"] = f"{host}:{port}"
        driver.start_ahead(env, 0)


def run(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    finally:
        prestart.discard()


def _run(args: argparse.Namespace) -> int:
    from lambdabox.emulator.startup import mark

    config = prepare(args, lambda: build_config(args, os.environ), "run")
    if isinstance(config, int):
        return config
    driver = config.driver
    assert isinstance(driver, ContainerDriver)
    try:
        # Docker creates and starts the first container (eager init) while the image is
        # checked here: a missing image fails both, and is reported by the check.
        _start_ahead(config, driver)
    except OSError as exc:
        driver.cleanup()
        return _fail(f"cannot start: {exc}. Is the port in use?")
    mark("container requested")
    client, problem = check_image(args.image)
    if problem is not None:
        driver.cleanup()  # removes the container if one was created after all
        return _fail(problem)
    client.close()
    mark("docker client and image checked")
    from lambdabox.emulator import loops
    from lambdabox.emulator.server import Emulator
    from lambdabox.emulator.statedir import StateDirError

    mark("emulator imported")
    try:
        emulator = Emulator(config)
    except StateDirError as exc:  # its journal (asyncinvoke.JournalError)
        driver.cleanup()
        return _fail(str(exc))

    def announce(line: str) -> None:
        sys.stderr.write(
            f"{line} (image {args.image}, containers labelled lambdabox.run={driver.run_id})\n"
        )
        sys.stderr.flush()

    async def serve() -> None:
        try:
            await emulator.serve_until_signal(announce)
        finally:
            await driver.close()

    try:
        loops.run(serve(), args.event_loop)
    except OSError as exc:
        return _fail(f"cannot start: {exc}. Is the port in use?")
    except KeyboardInterrupt:  # before the signal handlers were in place
        driver.cleanup()
    return 0
