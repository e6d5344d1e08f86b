"""One execution environment: a runtime behind its own Runtime API endpoint.

`lifecycle` holds its states and starts and stops the runtime, `sandbox` confines it,
and `invoking` runs invocations in it (`Environment`).
"""

from lambdabox.emulator.environment.invoking import (
    KILL_GRACE_WITH_EXTENSIONS_S,
    Environment,
    Launch,
    State,
)

__all__ = ["KILL_GRACE_WITH_EXTENSIONS_S", "Environment", "Launch", "State"]
