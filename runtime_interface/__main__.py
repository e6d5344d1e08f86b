"""`python -m runtime_interface HANDLER`: run the handler against the Runtime API.

Exit statuses:
    1   init failed (handler could not be loaded); the error was posted to /init/error
    2   usage error: no handler, or a malformed setting in the environment
    64  a SnapStart before-snapshot hook failed (reported to /init/error)
    65  a SnapStart after-restore hook failed (reported to /restore/error)
    69  the Runtime API is unreachable or answered out of protocol
"""

import gc

# Start-up allocates many long-lived objects and no cycles worth collecting; a collection
# pass in the middle of it costs up to a millisecond. Re-enabled before the first event.
gc.disable()

import os  # noqa: E402
import sys  # noqa: E402

from . import _codec  # noqa: E402
from ._client import RuntimeAPIClient  # noqa: E402
from ._config import Config, ConfigError  # noqa: E402
from ._errors import RuntimeAPIError  # noqa: E402
from ._logging import configure_logging_lazily, make_stdio_unbuffered, open_sink  # noqa: E402
from ._loop import InitFailed, Runtime  # noqa: E402

EXIT_USAGE = 2
EXIT_API_UNAVAILABLE = 69


def run_worker(config: "Config") -> int:
    """One runtime: connect, init, loop. Returns an exit status (the loop itself never ends)."""
    if config.log_socket:
        from ._workers import redirect_output

        redirect_output(config.log_socket)
    make_stdio_unbuffered()
    sink = open_sink(os.environ, config.log)
    configure_logging_lazily(sink)
    client = RuntimeAPIClient(
        config.api_address, ignore_init_error_conflict=config.max_concurrency > 0
    )
    try:
        client.connect()
        runtime = Runtime(config, client, sink)
        # What start-up allocated so far (the interpreter's, runpy's, ours) lives as long as
        # the process: kept out of the collector, the first pass after `gc.enable()` (right
        # before the first /next) and every full pass later need not walk it. The handler's
        # module is imported after this, so its objects are collected as usual.
        gc.freeze()
        try:
            runtime.init()
        finally:
            gc.enable()
        runtime.run_forever()
    except InitFailed as exc:
        return exc.code
    except RuntimeAPIError as exc:
        sys.stderr.write(f"runtime_interface: {exc}\n")
        return EXIT_API_UNAVAILABLE
    return 0  # pragma: no cover - run_forever does not return


def main(argv: "list[str] | None" = None) -> int:
    try:
        config = Config.from_environ(os.environ, sys.argv if argv is None else argv)
        _codec.configure(os.environ.get("AWS_EXECUTION_ENV"))
    except ConfigError as exc:
        sys.stderr.write(f"runtime_interface: {exc}\n")
        return EXIT_USAGE
    if config.max_concurrency > 0:
        from ._workers import run_workers

        return run_workers(config.max_concurrency, lambda: run_worker(config))
    return run_worker(config)


if __name__ == "__main__":
    sys.exit(main())
