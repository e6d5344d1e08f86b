"""Test helpers for lambdabox: a strict in-process Lambda Runtime API server (exported here).

Also, by module: `emulator` (the emulator in a background thread, process or container
mode), `runtime_process` (the runtime interface client as a subprocess), `images` (test
images built from Debian packages) and `processes` (lambdabox commands as real processes).
"""

from lambdabox.testing.runtime_api_server import (
    Outcome,
    PendingInvocation,
    Posted,
    RecordedRequest,
    RuntimeAPIServer,
)

__all__ = ["Outcome", "PendingInvocation", "Posted", "RecordedRequest", "RuntimeAPIServer"]
