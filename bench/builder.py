"""Builder benchmark: a code-only rebuild with lambdabox vs `docker build` (BuildKit), warm caches.

    python -m bench.builder

The function: app.py plus three wheel dependencies (six, charset-normalizer, idna), on the
Debian test image (`lambdabox.testing.images.python_test_image()`). Both sides start warm
(lambdabox: layer cache and base layout; Docker: build cache), then the same change (one line
of app.py) is rebuilt `rounds` times; medians are compared. lambdabox runs as the CLI in a
subprocess (`python -m lambdabox build ...`), Python start-up included, as a user would run it
in CI; and as `lambdabox build --watch` (the edit loop: one process, inotify), timed from the
file write to the build's JSON line on stdout, detection included.

The test image has python3 but no pip, and only loopback registries may be used, so the
Dockerfile installs the same wheels (downloaded beforehand into the build context) by
unpacking them into /var/task, as `pip install --target` would (a RUN step in a container).
The cold figure is a lambdabox build with an empty layer cache and the base already exported
(pip downloads through its own HTTP cache).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DOCKER = "/usr/bin/docker"
REQUIREMENTS = "six==1.17.0\ncharset-normalizer==3.4.1\nidna==3.10\n"
APP = "import six, idna, charset_normalizer\n\ndef handler(event, context):\n    return {}\n"
DOCKERFILE = """\
FROM {base}
COPY requirements.txt wheels/ /tmp/wheels/
RUN ["/usr/bin/python3", "-c", "{unpack}"]
COPY app.py /var/task/app.py
CMD ["app.handler"]
"""


UNPACK = (
    "import glob, zipfile; [zipfile.ZipFile(w).extractall('/var/task') "
    "for w in sorted(glob.glob('/tmp/wheels/*.whl'))]"
)


def _run(argv: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(argv, capture_output=True, text=True, check=False, **kwargs)  # type: ignore[call-overload]
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed: {done.stderr[-3000:]}")
    return done  # type: ignore[no-any-return]


def _timed(argv: list[str], **kwargs: object) -> float:
    started = time.perf_counter()
    _run(argv, **kwargs)
    return time.perf_counter() - started


def _edit(app: Path, n: int) -> None:
    app.write_text(APP.replace("return {}", f"return {{'n': {n}}}"))


def code_only_rebuild(rounds: int = 5, base_tag: str | None = None) -> dict[str, float]:
    """Seconds: lambdabox cold build, lambdabox and docker code-only rebuilds (medians)."""
    from lambdabox.testing.images import python_test_image

    base_tag = base_tag or python_test_image(progress=lambda line: print(line, file=sys.stderr))
    with tempfile.TemporaryDirectory(prefix="lambdabox-bench-") as temp:
        root = Path(temp)
        src = root / "src"
        src.mkdir()
        (src / "requirements.txt").write_text(REQUIREMENTS)
        (src / ".lambdaboxignore").write_text("requirements.txt\nwheels/\nDockerfile\n")
        _edit(src / "app.py", 0)
        _run(["skopeo", "copy", "--quiet", f"docker-daemon:{base_tag}", f"oci:{root}/base:base"])
        ours = [sys.executable, "-m", "lambdabox", "build", str(src), "--handler", "app.handler"]
        ours += ["--base", str(root / "base"), "--requirements", str(src / "requirements.txt")]
        ours += ["--cache", str(root / "cache"), "--output", str(root / "out"), "-t", "fn:1"]
        cold = _timed(ours)
        os.sync()  # each side starts without the other's (or the cold build's) dirty pages
        mine = []
        for n in range(1, rounds + 1):
            _edit(src / "app.py", n)
            mine.append(_timed(ours))
        summary = json.loads(_run([*ours, "--json"]).stdout)
        assert [layer["cached"] for layer in summary["layers"]] == [True, True]
        os.sync()
        watched = _watch_rebuilds([*ours, "--watch", "--json"], src / "app.py", rounds * 4)

        wheels = src / "wheels"
        _run(
            [
                *(sys.executable, "-m", "pip", "download", "--quiet", "--dest", str(wheels)),
                *("--only-binary=:all:", "--platform", "manylinux2014_x86_64"),
                *("--python-version", "3.11", "--implementation", "cp", "--no-deps"),
                *("six==1.17.0", "charset-normalizer==3.4.1", "idna==3.10"),
            ]
        )
        (src / "Dockerfile").write_text(DOCKERFILE.format(base=base_tag, unpack=UNPACK))
        tag = f"lambdabox-bench-docker:{os.getpid()}"
        env = dict(os.environ, DOCKER_BUILDKIT="1")
        docker = [DOCKER, "build", "--network", "host", "-q", "-t", tag, str(src)]
        theirs: list[float] = []
        image_ids: set[str] = set()
        try:
            image_ids.add(_run(docker, env=env).stdout.strip())  # warms the build cache
            os.sync()
            for n in range(1, rounds + 1):
                _edit(src / "app.py", 100 + n)
                started = time.perf_counter()
                image_ids.add(_run(docker, env=env).stdout.strip())
                theirs.append(time.perf_counter() - started)
        finally:
            for image_id in sorted(image_ids):
                subprocess.run(
                    [DOCKER, "image", "rm", "--force", image_id], capture_output=True, check=False
                )
        shutil.rmtree(wheels)
    return {
        "cold_build_s": cold,
        "lambdabox_rebuild_s": statistics.median(mine),
        "lambdabox_watch_rebuild_s": statistics.median(watched),
        "docker_rebuild_s": statistics.median(theirs),
    }


def _watch_rebuilds(argv: list[str], app: Path, rounds: int) -> list[float]:
    """Seconds from each edit of `app` to the `--watch` process's JSON line for it."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    try:
        digests = {json.loads(proc.stdout.readline())["digest"]}
        seconds = []
        for n in range(rounds):
            time.sleep(0.02)  # the watcher is idle again before the next edit
            started = time.perf_counter()
            _edit(app, 1000 + n)
            line = proc.stdout.readline()
            seconds.append(time.perf_counter() - started)
            summary = json.loads(line)
            assert summary["digest"] not in digests, "a rebuild of the previous content"
            assert [layer["cached"] for layer in summary["layers"]] == [True, False]
            digests.add(summary["digest"])
        return seconds
    finally:
        proc.terminate()
        proc.wait(10)
        proc.stdout.close()


def main() -> int:
    figures = code_only_rebuild()
    ours, theirs = figures["lambdabox_rebuild_s"], figures["docker_rebuild_s"]
    ratio = theirs / ours
    print(f"{'lambdabox cold build (base cached)':<44} {figures['cold_build_s']:>8.2f} s")
    print(f"{'lambdabox code-only rebuild (median)':<44} {ours:>8.2f} s")
    print(f"{'docker build (BuildKit) code-only (median)':<44} {theirs:>8.2f} s")
    goal_ok = ratio >= 10 and ours <= 1.0
    print(
        f"{'speed-up (docker / lambdabox)':<44} {ratio:>8.1f} x  goal >= 10x and <= 1 s: "
        f"{'ok' if goal_ok else 'MISSED'}"
    )
    watched = figures["lambdabox_watch_rebuild_s"]
    print(f"{'lambdabox build --watch rebuild (median)':<44} {watched * 1000:>8.1f} ms")
    print(f"{'speed-up (docker / lambdabox --watch)':<44} {theirs / watched:>8.1f} x")
    return 0


if __name__ == "__main__":
    sys.exit(main())


BASES = ("python3.11", "python3.13", "python3.9", "provided")
SIZE_GOALS_MB = {"python3.11": 30.0, "python3.13": 30.0, "python3.9": 30.0, "provided": 10.0}


def base_images(cold: str = "python3.11") -> dict[str, float]:
    """Each base's sizes (bytes) and warm build time (default cache, filled first if needed),
    and a cold build of `cold` (mmdebstrap included) in an empty cache. Needs root."""
    from builder import Cache
    from builder.base import build_image, image_summary

    figures: dict[str, float] = {}
    cache = Cache.default()
    for name in BASES:
        build_image(name, cache=cache)  # fills the cache when empty (about 20 s each)
        started = time.perf_counter()
        image = build_image(name, cache=cache)
        figures[f"{name}_warm_s"] = time.perf_counter() - started
        summary = image_summary(image)
        figures[f"{name}_compressed_bytes"] = float(str(summary["compressed_size"]))
        figures[f"{name}_uncompressed_bytes"] = float(str(summary["uncompressed_size"]))
    with tempfile.TemporaryDirectory(prefix="lambdabox-bench-base-") as temp:
        started = time.perf_counter()
        build_image(cold, cache=Cache(Path(temp)))
        figures[f"{cold}_cold_s"] = time.perf_counter() - started
    return figures
