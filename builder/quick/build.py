"""The fast build: check the record, write the code layer, config, manifest and index.json.

Returns the exit status (0), or None before anything is written when the full path must
run; a failure after writing began (a file changed while read, a disk error) removes the
temp files and also returns None, so the full path reports it with its own message. The
layout stays the previous valid one until index.json is replaced.
"""

from __future__ import annotations

import os
import sys
import time

from . import emit, locate, record, walk
from .tarball import Changed, write_blob

__all__ = ["run"]

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .record import Record

_OCI_LAYOUT = b'{"imageLayoutVersion":"1.0.0"}'


def run(argv: tuple[str, ...], *, indent: int | None = 2) -> int | None:
    """`lambdabox build ARGV` on the fast path, or None. `indent`: of the --json summary
    (None: one line, as --watch prints it)."""
    started = time.perf_counter()
    found = locate.locate(argv)
    if found is None:
        return None
    _source, output, _name, _tag, as_json = found
    saved = record.load(output)
    if saved is None:
        return None
    try:
        if saved["key"] != record.command_key(argv) or not record.unchanged(saved):
            return None
        with open(os.path.join(output, "index.json"), "rb", buffering=0) as file:
            if file.read() != saved["index_bytes"]:
                return None
        with open(os.path.join(output, "oci-layout"), "rb", buffering=0) as file:
            if file.read() != _OCI_LAYOUT:  # the full path would write it again
                return None
        checked = time.perf_counter()
        root, decisions, symlinks, opaque, prefix, mtime, level = saved["tree"]
        entries = walk.code_entries(root, output, decisions, symlinks, opaque, prefix)
        if entries is None:
            return None
        json_indent = indent if as_json else -1
        return _write(saved, entries, output, (mtime, level), json_indent, (started, checked))
    except (KeyError, TypeError, ValueError, IndexError, OSError):
        return None  # a record of an unexpected shape: the full path writes a new one


def _code_layer(
    entries: list[tuple[str, str, int, str, str, int]], blobs: str, settings: tuple[int, int]
) -> tuple[str, str, int] | None:
    """Write the code layer blob into `blobs`; (digest hex, diff_id hex, size) or None."""
    temp = emit.temp_name(blobs)
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
    try:
        try:
            layer_hex, diff_hex, size = write_blob(entries, fd, *settings)
            os.fsync(fd)
        finally:
            os.close(fd)
        target = os.path.join(blobs, layer_hex)
        try:
            present = os.stat(target).st_size == size
        except FileNotFoundError:
            present = False
        if present:
            os.unlink(temp)
        else:
            os.replace(temp, target)
    except (OSError, Changed):
        _unlink(temp)
        return None
    except BaseException:
        _unlink(temp)
        raise
    return layer_hex, diff_hex, size


def _layout(saved: Record, output: str, code: tuple[str, str, int]) -> tuple[bytes, str, str]:
    """Config, manifest and index.json of the image with the code layer `code`; returns
    (index bytes, manifest hex, config hex)."""
    layer_hex, diff_hex, size = code
    blobs = os.path.join(output, "blobs", "sha256")
    config = emit.fill(saved["config"], {"diff_id": diff_hex.encode()})
    config_hex, _ = emit.put_blob(blobs, config)
    slots = {"config": config_hex.encode(), "layer": layer_hex.encode()}
    manifest = emit.fill(saved["manifest"], {**slots, "layer_size": b"%d" % size})
    manifest_hex, manifest_size = emit.put_blob(blobs, manifest)
    emit.fsync_folder(blobs)
    slots = {"manifest": manifest_hex.encode(), "manifest_size": b"%d" % manifest_size}
    index = emit.fill(saved["index"], slots)
    emit.write_atomic(os.path.join(output, "index.json"), index)
    emit.fsync_folder(output)
    return index, manifest_hex, config_hex


def _write(
    saved: Record,
    entries: list[tuple[str, str, int, str, str, int]],
    output: str,
    settings: tuple[int, int],
    indent: int | None,
    times: tuple[float, float],
) -> int | None:
    started, checked = times
    code = _code_layer(entries, os.path.join(output, "blobs", "sha256"), settings)
    if code is None:
        return None
    coded = time.perf_counter()
    try:
        index, manifest_hex, config_hex = _layout(saved, output, code)
    except OSError:
        return None
    cached = saved["code"][0] == code[0]
    summary = dict(saved["summary"])
    _report(summary, (code[0], code[2], cached), (manifest_hex, config_hex))
    done = time.perf_counter()
    summary["phases"] = {
        "base_s": round(checked - started, 5),
        **{f"{step['name']}_s": 0.0 for step in summary["layers"][:-1]},
        "code_s": round(coded - checked, 5),
        "layout_s": round(done - coded, 5),
    }
    summary["layers"][-1]["seconds"] = round(coded - checked, 3)
    summary["seconds"] = round(done - started, 3)
    if indent is None or indent >= 0:  # --json
        sys.stdout.write(emit.dumps(summary, indent) + "\n")
        sys.stdout.flush()
    saved.update(index_bytes=index, code=code)  # after the summary: --watch prints it sooner
    try:
        record.save(output, saved)
    except OSError:
        record.discard(output)
    return 0


def _report(summary: dict[str, object], code: tuple[str, int, bool], ids: tuple[str, str]) -> None:
    layer_hex, size, cached = code
    manifest_hex, config_hex = ids
    layers = [dict(step) for step in summary["layers"]]  # type: ignore[attr-defined]
    layers[-1].update(digest=f"sha256:{layer_hex}", size=size, cached=cached)
    summary.update(digest=f"sha256:{manifest_hex}", image_id=f"sha256:{config_hex}", layers=layers)
    say = sys.stderr.write
    for step in layers:
        state = "cached" if step["cached"] else "built"
        short, human = step["digest"][7:19], _human(step["size"])
        say(f"lambdabox build: {step['name']}: {short} {human} ({state})\n")
    say(
        f"lambdabox build: wrote {summary['output']} ({summary['tag']}) sha256:{manifest_hex} "
        "(code-only change: fast path)\n"
    )


def _human(size: int) -> str:
    if size < 1000:
        return f"{size} B"
    if size < 1000_000:
        return f"{size / 1000:.1f} kB"
    return f"{size / 1000_000:.1f} MB"


def _unlink(path: str) -> None:
    try:  # noqa: SIM105 - contextlib costs the fast path 2-6 ms to import
        os.unlink(path)
    except OSError:
        pass
