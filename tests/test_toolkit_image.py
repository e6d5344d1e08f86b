"""The top-level Dockerfile: the toolkit's own image, FROM our python3.11 base, smoke-tested."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from builder import Cache, read_layout
from builder.base import DOCKER_REPOSITORY, ensure_base, load_into_docker

ROOT = Path(__file__).resolve().parents[1]
DOCKER = "/usr/bin/docker"


def _run(argv: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=600, check=False, **kwargs)  # type: ignore[call-overload]
    assert done.returncode == 0, f"{argv}: {done.stderr[-2000:]}"
    return done  # type: ignore[no-any-return]


def test_toolkit_image_builds_from_our_base_and_runs(tmp_path: Path) -> None:
    base_tag = f"{DOCKER_REPOSITORY}:python3.11"
    layout = ensure_base("python3.11", Cache.default())
    load_into_docker(read_layout(layout, "python3.11"), base_tag, lambda _line: None)
    context = tmp_path / "context"
    (context / "dist").mkdir(parents=True)
    shutil.copy(ROOT / "Dockerfile", context / "Dockerfile")
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            str(ROOT),
            "-w",
            str(context / "dist" / "wheels"),
        ]
    )
    tag = "lambdabox-toolkit-test:latest"
    _run(
        [
            DOCKER,
            "build",
            "--network",
            "host",
            "--build-arg",
            f"BASE={base_tag}",
            "-t",
            tag,
            str(context),
        ],
        env={"DOCKER_BUILDKIT": "1", "PATH": "/usr/bin:/bin"},
    )
    try:
        assert _run(
            [DOCKER, "run", "--rm", "--network", "host", tag, "--version"]
        ).stdout.startswith("lambdabox ")
        event = _run([DOCKER, "run", "--rm", "--network", "host", tag, "event", "s3-put"])
        assert json.loads(event.stdout)["Records"][0]["eventSource"] == "aws:s3"
        user = _run([DOCKER, "image", "inspect", "--format", "{{.Config.User}}", tag])
        assert user.stdout.strip() == "993:993"
    finally:
        subprocess.run([DOCKER, "rmi", "-f", tag], capture_output=True, check=False)
