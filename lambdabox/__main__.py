"""`python -m lambdabox` is the `lambdabox` command."""

import sys

from lambdabox.cli import main

sys.exit(main())
