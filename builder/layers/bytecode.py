"""Reproducible bytecode: the dependency layer's, compiled once at build time, not at every
cold start (and the compile command the base images' bytecode uses too).

Functions run on a read-only /var/task, where Python cannot cache what it compiles, so
without `.pyc` files every cold start compiles every dependency it imports again
(python-dateutil: about 30 ms of a 40 ms import; large SDKs: hundreds of ms). The builder
compiles them when this interpreter has the target's bytecode format (same CPython minor
version), as checked-hash pycs: the import hashes the source to validate them, so they stay
correct even if a file is changed later, and they do not depend on file mtimes. A fresh
interpreter with PYTHONHASHSEED=0 compiles them, so the layer stays reproducible. For
another Python version nothing is compiled (the layer is as before).
"""

from __future__ import annotations

import sys
from pathlib import Path

from ..oci.errors import BuilderError

__all__ = ["bytecode_tag", "compile_argv", "compile_tree"]

COMPILE_ENV = {"PYTHONHASHSEED": "0", "LANG": "C.UTF-8"}
"""The whole environment of a compile: a fixed hash seed, so set constants marshal in a
fixed order on every Python version (hence no -I/-E, which would ignore it)."""


def compile_argv(python: str, folder: str, ddir: str, mode: str) -> list[str]:
    """`python` compiling every `.py` under `folder` into `mode` pycs (CHECKED_HASH or
    UNCHECKED_HASH), with paths recorded under `ddir` (where the files are at run time)."""
    script = (
        "import compileall, py_compile, sys; "
        "ok = compileall.compile_dir(sys.argv[1], ddir=sys.argv[2], quiet=1, workers=1, "
        f"invalidation_mode=py_compile.PycInvalidationMode.{mode}); "
        "sys.exit(0 if ok else 1)"
    )
    return [python, "-S", "-c", script, folder, ddir]


def bytecode_tag(python_version: str) -> str:
    """This interpreter's cache tag (`cpython-311`) when it compiles for `python_version`,
    else "" (no bytecode is made)."""
    host = f"{sys.version_info[0]}.{sys.version_info[1]}"
    if sys.implementation.name != "cpython" or host != python_version:
        return ""
    return sys.implementation.cache_tag or ""


def compile_tree(folder: Path, prefix: str) -> None:
    """Compile every `.py` under `folder`, recording paths under `prefix` (e.g. /var/task)."""
    argv = compile_argv(sys.executable, str(folder), prefix, "CHECKED_HASH")
    import subprocess  # not at the top: the cache key needs only bytecode_tag

    done = subprocess.run(argv, capture_output=True, text=True, env=COMPILE_ENV, check=False)
    if done.returncode != 0:
        raise BuilderError(
            f"compiling the dependencies' bytecode failed (a file does not compile for "
            f"Python {sys.version_info[0]}.{sys.version_info[1]}?); build with --no-bytecode "
            f"to skip it: {(done.stdout + done.stderr).strip()[-1500:]}"
        )
