"""The shell scripts of the runtime interface layer: entry point, bootstrap, aws-lambda-rie.

`/lambda-entrypoint.sh` follows the contract of AWS's base images: exactly one argument (the
handler), exported as _HANDLER, else `ENTRYPOINT_MESSAGE` and exit status
`ENTRYPOINT_STATUS`. In Python images (`PYTHON_ENTRYPOINT`) it runs `/var/runtime/bootstrap`
(`python_bootstrap`) against AWS_LAMBDA_RUNTIME_API, or, without it, under the bundled
emulator (`RIE_LAUNCHER`, installed as /usr/local/bin/aws-lambda-rie). In `provided`
(`PROVIDED_ENTRYPOINT`) it runs /var/task/bootstrap or /var/runtime/bootstrap, and without
AWS_LAMBDA_RUNTIME_API fails with `PROVIDED_NO_API_MESSAGE`.

The texts are part of the base image digests: any change to them makes new base images.
"""

from __future__ import annotations

__all__ = [
    "ENTRYPOINT_MESSAGE",
    "ENTRYPOINT_STATUS",
    "PROVIDED_ENTRYPOINT",
    "PROVIDED_NO_API_MESSAGE",
    "PYTHON_ENTRYPOINT",
    "RIE_LAUNCHER",
    "python_bootstrap",
]

ENTRYPOINT_MESSAGE = "entrypoint requires the handler name to be the first argument"
ENTRYPOINT_STATUS = 142

PYTHON_ENTRYPOINT = f"""\
#!/bin/sh
# lambdabox base image entry point, with the semantics of AWS's /lambda-entrypoint.sh:
# exactly one argument (the handler), exported as _HANDLER; without AWS_LAMBDA_RUNTIME_API
# the runtime runs under the bundled emulator (aws-lambda-rie), else it talks to that API.
# AWS_LAMBDA_RIE_ADDRESS / AWS_LAMBDA_RIE_RUNTIME_API_ADDRESS (HOST:PORT) move the emulator's
# Invoke API (default 0.0.0.0:8080) and Runtime API (default 127.0.0.1:9001).
if [ $# -ne 1 ]; then
  echo "{ENTRYPOINT_MESSAGE}" 1>&2
  exit {ENTRYPOINT_STATUS}
fi
export _HANDLER="$1"

RUNTIME_ENTRYPOINT=/var/runtime/bootstrap
if [ -z "${{AWS_LAMBDA_RUNTIME_API}}" ]; then
  set -- /usr/local/bin/aws-lambda-rie
  if [ -n "${{AWS_LAMBDA_RIE_ADDRESS}}" ]; then
    set -- "$@" --runtime-interface-emulator-address "$AWS_LAMBDA_RIE_ADDRESS"
  fi
  if [ -n "${{AWS_LAMBDA_RIE_RUNTIME_API_ADDRESS}}" ]; then
    set -- "$@" --runtime-api-address "$AWS_LAMBDA_RIE_RUNTIME_API_ADDRESS"
  fi
  exec "$@" "$RUNTIME_ENTRYPOINT"
else
  exec "$RUNTIME_ENTRYPOINT"
fi
"""

PROVIDED_NO_API_MESSAGE = (
    "AWS_LAMBDA_RUNTIME_API is not set and this image has no bundled emulator: "
    "run it with `lambdabox run IMAGE HANDLER`"
)

PROVIDED_ENTRYPOINT = f"""\
#!/bin/sh
# lambdabox base image entry point (provided: OS only, no bundled emulator): exactly one
# argument (the handler), exported as _HANDLER; runs /var/task/bootstrap if it exists, else
# /var/runtime/bootstrap, against AWS_LAMBDA_RUNTIME_API.
if [ $# -ne 1 ]; then
  echo "{ENTRYPOINT_MESSAGE}" 1>&2
  exit {ENTRYPOINT_STATUS}
fi
export _HANDLER="$1"

if [ -z "${{AWS_LAMBDA_RUNTIME_API}}" ]; then
  echo '{PROVIDED_NO_API_MESSAGE}' 1>&2
  exit 1
fi
if [ -x "${{LAMBDA_TASK_ROOT:-/var/task}}/bootstrap" ]; then
  exec "${{LAMBDA_TASK_ROOT:-/var/task}}/bootstrap"
fi
if [ -x /var/runtime/bootstrap ]; then
  exec /var/runtime/bootstrap
fi
echo "no bootstrap: put an executable bootstrap in /var/task or /var/runtime" 1>&2
exit 1
"""


def python_bootstrap(version: str) -> str:
    """`/var/runtime/bootstrap` of a Python image; `version` is e.g. "3.11"."""
    site = f"/opt/python/lib/python{version}/site-packages"
    return f"""\
#!/bin/sh
# The Python runtime: this repository's runtime_interface against AWS_LAMBDA_RUNTIME_API.
# Import path as on AWS: the function (/var/task, where `pip install --target` puts its
# dependencies), then layers (/opt/python), then the runtime. The launcher form avoids runpy.
export PYTHONPATH="${{LAMBDA_TASK_ROOT:-/var/task}}:{site}:/opt/python:/var/runtime\
${{PYTHONPATH:+:$PYTHONPATH}}"
exec /usr/bin/python3 -c 'import sys; from runtime_interface.__main__ import main; \
sys.exit(main())' "$_HANDLER"
"""


RIE_LAUNCHER = """\
#!/bin/sh
# aws-lambda-rie drop-in: the lambdabox emulator (process mode, standard library only), run
# isolated (-I -S) from the function's import path: it sees only /var/runtime/emulator and
# /var/runtime (for runtime_interface.protocol), never /var/task or site-packages.
# A plain command line skips argparse (lambdabox.emulator.quick); help and mistakes use it.
exec /usr/bin/python3 -I -S -c '
import sys
sys.path[:0] = ["/var/runtime/emulator", "/var/runtime"]
from lambdabox.emulator.quick import quick_emulate
status = quick_emulate(sys.argv[1:])
if status is None:
    import argparse
    from lambdabox.emulator import cli
    parser = argparse.ArgumentParser(prog="aws-lambda-rie", description=cli.DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    cli.add_arguments(parser)
    status = cli.run(parser.parse_args())
sys.exit(status)
' "$@"
"""
