"""``python -m soak.rss``: sequential invokes, the emulator's RSS growth after warm-up.

``RSS_INVOKES`` (default 100000) invokes on one keep-alive connection against a
``lambdabox emulate`` subprocess; prints RSS after ``RSS_WARMUP`` (default 5000)
invokes and at the end; exits 1 when it grew by 5 MiB or more.
"""

from __future__ import annotations

import http.client
import os
import sys
import tempfile
import time
from pathlib import Path

from soak.emulator import Emulator
from soak.procs import rss_kib
from soak.run import HANDLER
from soak.traffic import INVOKE

LIMIT_KIB = 5 * 1024


def main() -> int:
    total = int(os.environ.get("RSS_INVOKES", "100000"))
    warmup = int(os.environ.get("RSS_WARMUP", "5000"))
    with tempfile.TemporaryDirectory(prefix="lambdabox-rss-") as tmp:
        emu = Emulator(HANDLER, Path(tmp) / "state", Path(tmp) / "emulator.log")
        emu.start()
        try:
            conn = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=30)
            body = b'{"n": 1}'
            start = time.monotonic()
            base = 0
            for n in range(total):
                if n == warmup:
                    base = rss_kib(emu.pid)
                conn.request("POST", INVOKE, body)
                resp = conn.getresponse()
                if resp.status != 200:
                    print(f"invoke {n}: status {resp.status}", file=sys.stderr)
                    return 1
                resp.read()
            end = rss_kib(emu.pid)
            elapsed = time.monotonic() - start
        finally:
            emu.stop()
    growth = end - base
    print(f"{total} sequential invokes in {elapsed:.1f} s ({total / elapsed:.0f}/s)")
    print(
        f"emulator RSS after {warmup} invokes: {base / 1024:.1f} MiB, at the end: "
        f"{end / 1024:.1f} MiB, growth {growth / 1024:.2f} MiB (limit 5 MiB)"
    )
    return 0 if growth < LIMIT_KIB else 1


if __name__ == "__main__":
    sys.exit(main())
