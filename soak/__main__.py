"""``python -m soak``: run the soak for ``SOAK_S`` seconds (default 180), print the ledgers.

``SOAK_MODES`` (default ``process,container``) names the phases, which share the time:
``process`` runs ``lambdabox emulate``, ``container`` runs ``lambdabox run`` on an image
of the soak's function (built locally once). Exit status 0 when every check holds, 1 on
any violation, 2 for a bad ``SOAK_MODES``.
"""

from __future__ import annotations

import os
import sys

from soak.run import run_soak


def main() -> int:
    seconds = float(os.environ.get("SOAK_S", "180"))
    callers = int(os.environ.get("SOAK_CALLERS", "24"))
    modes = [m.strip() for m in os.environ.get("SOAK_MODES", "process,container").split(",")]
    return run_soak(seconds, callers, print, [m for m in modes if m])


if __name__ == "__main__":
    sys.exit(main())
