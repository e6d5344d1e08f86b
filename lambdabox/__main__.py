"""`python -m lambdabox` is the `lambdabox` command."""

import sys

from lambdabox.console import main

sys.exit(main())
