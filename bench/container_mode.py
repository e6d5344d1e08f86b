"""Container mode: `lambdabox run IMAGE` against AWS's documented local flow, `docker run`
of the same image with aws-lambda-rie as its entrypoint.

No registry can be reached here, so the RIE image is derived locally: FROM the test image
(Debian bookworm + python3 + our client, built by lambdabox.testing.images) with the
aws-lambda-rie binary from the aws-sam-cli wheel copied in. Both run on the host network
(Docker here has no bridge) and bind 127.0.0.1 on free ports.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from bench import caller
from bench.process_mode import Run, parse_phases
from lambdabox.testing.processes import free_port

RIE_IN_IMAGE = "/usr/local/bin/aws-lambda-rie"
RUNTIME = ["/usr/bin/python3", "-m", "runtime_interface", "app.handler"]
APP_DIR = Path(__file__).resolve().parent.parent / "tests" / "scenarios" / "emulator"
"""Where the test image's handler (app.py) comes from."""


def test_image() -> str:
    from lambdabox.testing.images import python_test_image

    return python_test_image()


def rie_image(base: str, rie: Path) -> str:
    """`base` + aws-lambda-rie, built locally with `docker build` (no pull: FROM a local tag)."""
    tag = f"lambdabox-bench-rie:{base.rpartition(':')[2][:12]}"
    found = subprocess.run(["docker", "image", "inspect", tag], capture_output=True, check=False)
    if found.returncode == 0:
        return tag
    with tempfile.TemporaryDirectory() as context:
        shutil.copy(rie, Path(context) / "aws-lambda-rie")  # keeps its mode (0755)
        (Path(context) / "Dockerfile").write_text(
            f"FROM {base}\nCOPY aws-lambda-rie {RIE_IN_IMAGE}\n"
        )
        subprocess.run(
            ["docker", "build", "-q", "-t", tag, context],
            check=True,
            stdout=subprocess.DEVNULL,
            env={"DOCKER_BUILDKIT": "0", "PATH": "/usr/local/bin:/usr/bin:/bin"},
        )
    return tag


def docker_run_rie_command(image: str, port: int, name: str) -> list[str]:
    """AWS's documented flow (`docker run --entrypoint aws-lambda-rie IMAGE RUNTIME...`),
    on the host network with both RIE listeners on free loopback ports."""
    return [
        "docker",
        "run",
        "--rm",
        "--name",
        name,
        "--network",
        "host",
        "--entrypoint",
        RIE_IN_IMAGE,
        image,
        "--runtime-interface-emulator-address",
        f"127.0.0.1:{port}",
        "--runtime-api-address",
        f"127.0.0.1:{free_port()}",
        *RUNTIME,
    ]


def lambdabox_run_command(
    lambdabox: Path, image: str, port: int, phases: bool = False
) -> list[str]:
    """`lambdabox run`; with `phases`, --log-level debug (start-up phases on stderr, and a
    line per API request: a few microseconds against a container's millisecond)."""
    return [
        str(lambdabox),
        "run",
        image,
        "--listen",
        f"127.0.0.1:{port}",
        "--runtime-api-address",
        "127.0.0.1:0",
        "--log-level",
        "debug" if phases else "info",
    ]


@contextmanager
def running(command: Sequence[str], port: int, name: str | None = None) -> Iterator[Run]:
    """Start `command`; yield once it has answered (ms from start to its first answer);
    stop it (SIGINT, as a user's Ctrl-C) and make sure a container named `name` is gone.
    The start-up phases it printed (at --log-level debug) are read once it has stopped."""
    run = Run(f"127.0.0.1:{port}")
    with tempfile.TemporaryFile() as err:
        started = time.monotonic()
        proc = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err
        )
        try:
            run.first_answer_ms = caller.first_answer_ms(run.address, started)
            yield run
        finally:
            proc.send_signal(2)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if name is not None:
                subprocess.run(["docker", "rm", "-f", name], capture_output=True, check=False)
            err.seek(0)
            run.phases = parse_phases(err.read().decode("utf-8", "replace"), started)


def docker_run_rie(image: str, event: bytes, count: int) -> tuple[float, list[float]]:
    """`docker run` + RIE: start to first answer (ms), then `count` warm invokes (ms each)."""
    port, name = free_port(), f"lambdabox-bench-rie-{uuid.uuid4().hex[:8]}"
    with running(docker_run_rie_command(image, port, name), port, name) as run:
        return run.first_answer_ms, caller.latencies(run.address, event, count)


def lambdabox_run(lambdabox: Path, image: str, event: bytes, count: int) -> tuple[Run, list[float]]:
    """`lambdabox run`: start to first answer and phases, then `count` warm invokes (ms)."""
    port = free_port()
    with running(lambdabox_run_command(lambdabox, image, port, True), port) as run:
        samples = caller.latencies(run.address, event, count)
    return run, samples


def docker_start_ms(image: str) -> float:
    """The floor of any Docker-based start: `docker run -d` of the image (returns once the
    container runs), host network, doing nothing; the container is removed afterwards."""
    name = f"lambdabox-bench-floor-{uuid.uuid4().hex[:8]}"
    started = time.monotonic()
    subprocess.run(
        [
            "docker",
            "run",
            "-d",
            "--name",
            name,
            "--network",
            "host",
            "--entrypoint",
            "/bin/sleep",
            image,
            "30",
        ],
        check=True,
        capture_output=True,
    )
    took = (time.monotonic() - started) * 1000
    subprocess.run(["docker", "rm", "-f", name], capture_output=True, check=False)
    return took
