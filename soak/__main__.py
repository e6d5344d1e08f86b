"""``python -m soak``: run the soak for ``SOAK_S`` seconds (default 180), print the ledger.

Exit status 0 when every check holds, 1 on any violation.
"""

from __future__ import annotations

import os
import sys

from soak.run import run_soak


def main() -> int:
    seconds = float(os.environ.get("SOAK_S", "180"))
    callers = int(os.environ.get("SOAK_CALLERS", "24"))
    return run_soak(seconds, callers, print)


if __name__ == "__main__":
    sys.exit(main())
