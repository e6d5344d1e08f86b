"""Fixtures shared by the base image tests: can this machine build bases, their cache, Docker."""

from __future__ import annotations

import os
import shutil
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from builder import Cache


def _cannot_build_bases() -> str:
    """Why this machine cannot build base images ("" if it can)."""
    if os.geteuid() != 0:
        return "building base images needs root (mmdebstrap)"
    if shutil.which("mmdebstrap") is None:
        return "mmdebstrap is not installed"
    try:
        urllib.request.urlopen("http://deb.debian.org/debian/dists/bookworm/InRelease", timeout=10)
    except OSError as exc:
        return f"deb.debian.org unreachable: {exc}"
    return ""


def _cache_for_bases(tmp_path_factory: pytest.TempPathFactory, name: str) -> Cache:
    """$LAMBDABOX_CACHE when set (reused across runs), else a new empty cache `name`."""
    root = os.environ.get("LAMBDABOX_CACHE")
    return Cache(Path(root) if root else tmp_path_factory.mktemp(name))


def _docker_client_or_skip() -> Any:
    """A Docker SDK client, or a skip naming why there is none."""
    docker = pytest.importorskip("docker")
    try:
        client = docker.from_env()
        client.ping()
    except docker.errors.DockerException as exc:
        pytest.skip(f"no Docker daemon: {exc}")
    return client


@pytest.fixture(scope="session")
def cannot_build_bases() -> Callable[[], str]:
    """`cannot_build_bases()`: why this machine cannot build base images ("" if it can)."""
    return _cannot_build_bases


@pytest.fixture(scope="session")
def cache_for_bases() -> Callable[[pytest.TempPathFactory, str], Cache]:
    """`cache_for_bases(tmp_path_factory, name)`: $LAMBDABOX_CACHE, else a new empty cache."""
    return _cache_for_bases


@pytest.fixture(scope="session")
def docker_client_or_skip() -> Callable[[], Any]:
    """`docker_client_or_skip()`: a Docker SDK client, or a skip naming why there is none."""
    return _docker_client_or_skip
