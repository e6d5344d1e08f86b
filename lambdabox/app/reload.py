"""Hot reload: a thread watches the template and each function's code; the loop reloads.

Changes are seen with the builder's watch machinery (`builder.watch`: inotify on every
folder of the inputs, confirmed by a fingerprint of what a build reads, `.lambdaboxignore`
honoured), grouped per function, and handed to `Application.reload` on the event loop.
Edits are picked up within a fraction of a second (polling every 0.25 s without inotify).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable
from pathlib import Path

from lambdabox.app.application import Application
from lambdabox.app.building import BuilderError, Fingerprint, Watcher, fingerprint

POLL_S = 0.25


def inputs(app: Application) -> dict[str, list[Path]]:
    """What to watch: the template, and each running function's code and layers."""
    found: dict[str, list[Path]] = {}
    if app.config.document is None:
        found["template"] = [app.config.template]
    for spec in app.specs:
        paths = [p for p in (spec.code, spec.docker_context) if p is not None]
        found[spec.path] = [*paths, *spec.layers]
    return found


def _fingerprints(groups: dict[str, list[Path]]) -> dict[str, Fingerprint]:
    found: dict[str, Fingerprint] = {}
    for key, paths in groups.items():
        with contextlib.suppress(BuilderError, OSError):
            found[key] = fingerprint(paths)
    return found


class Reloader:
    """Watch `inputs(app)`; on a change run `app.reload(changed)` on `loop`."""

    def __init__(
        self, app: Application, loop: asyncio.AbstractEventLoop, say: Callable[[str], None]
    ) -> None:
        self._app = app
        self._loop = loop
        self._say = say
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lambdabox-reload", daemon=True)
        self._busy = threading.Lock()

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)

    def _run(self) -> None:
        groups = inputs(self._app)
        every = sorted({p for paths in groups.values() for p in paths})
        watcher = Watcher(every, interval=POLL_S)
        last = _fingerprints(groups)
        try:
            while not self._stop.is_set():
                if watcher.notify is not None:
                    watcher.notify.wait(POLL_S)
                else:
                    time.sleep(POLL_S)
                now = _fingerprints(groups)
                changed = {k for k in groups if now.get(k) != last.get(k)}
                if not changed:
                    continue
                last = now
                self._reload(changed)
                groups = inputs(self._app)
                every = sorted({p for paths in groups.values() for p in paths})
                watcher.inputs = every
                if watcher.notify is not None:
                    watcher.notify.add(sorted({p if p.is_dir() else p.parent for p in every}))
                last = _fingerprints(groups)
        finally:
            watcher.close()

    def _reload(self, changed: set[str]) -> None:
        what = "the template" if "template" in changed else ", ".join(sorted(changed))
        future = asyncio.run_coroutine_threadsafe(self._app.reload(changed), self._loop)
        try:
            restarted = future.result(600)
        except Exception as exc:
            self._say(f"reload after a change of {what} failed: {exc} (fix it and save)")
            return
        self._say(f"reloaded after a change of {what}: restarted {', '.join(restarted) or 'none'}")
