"""`lambdabox up`: run a whole SAM application locally until Ctrl-C/SIGTERM."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lambdabox.emulator import loops
from lambdabox.emulator.cli import add_option
from lambdabox.emulator.options import EVENT_LOOP

DESCRIPTION = """\
Run every function of a SAM/CloudFormation template with its triggers, until Ctrl-C or
SIGTERM; then every environment, container and helper process is stopped and removed.

  lambdabox up                                  ./template.yaml (or .yml, .json)
  lambdabox up infra/template.yaml --parameter-overrides Stage=dev Size=512
  lambdabox up --function Hello --function Orders --env-vars env.json
  lambdabox up --import-value shared-TableName=orders     a value for !ImportValue
  lambdabox up --handler app.handler --code src --schedule 'rate(5 minutes)'
  lambdabox up --image my-function:dev --http-port 8000

The Invoke API serves every function on --port (as `sam local start-lambda`), by
FunctionName, logical id or ARN:
  boto3.client("lambda", endpoint_url="http://127.0.0.1:3001").invoke(FunctionName="Hello")
  lambdabox invoke Hello --port 3001
HTTP triggers (HttpApi/Api events, function URLs) answer on --http-port (as
`sam local start-api`), schedules fire at their wall-clock minute, queues and streams are
polled. Lambda authorizers (Auth.Authorizers with FunctionArn) run before their routes;
routes behind JWT, Cognito or AWS_IAM authorization are named in a warning (not
enforced). On start one line per function and per trigger is printed (--json: one JSON
document on stdout). Function logs follow, each line prefixed with [LogicalId].

Modes: `process` runs each function's code folder with this Python's runtime interface
client (fast: no image, no container; the code imports what this environment has, and
its layers' python/ folders, like /opt/python); `container` builds each Zip function onto
the lambdabox base image of its Runtime (cached by layer, so an edit rebuilds one small
layer) and Image functions from their Dockerfile, and runs them in hardened containers.
Default: process when every function is a Python Zip function, else container.

Edits to the template or a function's code are picked up while running (environments of
the changed functions are restarted; the others stay warm). Templates: every short-form
tag, Parameters, Conditions, Mappings, Globals, AWS::Include, nested stacks with local
templates, CDK output (cdk.out/*.template.json). A resource lambdabox does not run locally
is named in one warning line.

exit statuses: 0 stopped by Ctrl-C/SIGTERM, 1 the application could not start (the
message names the resource, property and fix), 2 usage error."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "template",
        nargs="?",
        metavar="TEMPLATE",
        help="the SAM template, or a folder holding template.yaml|yml|json (default: .)",
    )
    parser.add_argument(
        "--parameter-overrides",
        nargs="+",
        default=[],
        metavar="NAME=VALUE",
        help="template parameters (also SAM's ParameterKey=NAME,ParameterValue=VALUE form)",
    )
    parser.add_argument(
        "--import-value",
        action="append",
        default=[],
        metavar="EXPORT=VALUE",
        help="the value of another stack's export, for !ImportValue EXPORT (repeatable); "
        "an export used by a function, API or trigger and not given stops the start",
    )
    parser.add_argument("--port", type=int, default=3001, help="Invoke API port (default 3001)")
    parser.add_argument(
        "--http-port", type=int, default=3000, help="HTTP front port (default 3000)"
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument(
        "--mode",
        choices=("process", "container"),
        help="how functions run (default: process if all are Python Zip functions)",
    )
    parser.add_argument(
        "--function",
        action="append",
        default=[],
        metavar="NAME",
        help="run only this function (logical id, nested path or FunctionName; repeatable)",
    )
    parser.add_argument(
        "--env-vars",
        type=Path,
        metavar="FILE",
        help='JSON: {"Parameters": {"VAR": "v"}, "LogicalId": {"VAR": "v"}} (as sam local)',
    )
    parser.add_argument(
        "--max-concurrency",
        type=int,
        default=4,
        metavar="N",
        help="environments per function unless ReservedConcurrentExecutions says (default 4)",
    )
    parser.add_argument(
        "--retry-delay-scale",
        type=float,
        default=1.0,
        metavar="X",
        help="multiply the asynchronous retry delays (1 min, 2 min) by X (tests: 0.001)",
    )
    parser.add_argument(
        "--state-dir",
        type=Path,
        metavar="DIR",
        help="keep queued asynchronous invocations and stream checkpoints here across restarts",
    )
    parser.add_argument(
        "--sqs-endpoint",
        metavar="URL",
        help="SQS/Kinesis/DynamoDB endpoint (default: a local moto server when needed)",
    )
    parser.add_argument(
        "--rabbitmq-url",
        metavar="URL",
        help="RabbitMQ broker for MQ events (default: a local rabbitmq-server when needed)",
    )
    parser.add_argument("--region", default="us-east-1", help="AWS::Region (default us-east-1)")
    parser.add_argument("--stack-name", default="lambdabox", help="AWS::StackName")
    parser.add_argument(
        "--account-id", default="123456789012", help="AWS::AccountId (default 123456789012)"
    )
    parser.add_argument(
        "--no-watch", action="store_true", help="do not reload on template or code edits"
    )
    parser.add_argument("--json", action="store_true", help="print the listing as JSON")
    add_option(parser, EVENT_LOOP)
    parser.add_argument(
        "--log-level",
        default="warn",
        choices=("debug", "info", "warn", "error"),
        help="the emulator's own messages (default warn)",
    )
    flags = parser.add_argument_group("without a template: one function from flags")
    flags.add_argument("--handler", help="module.function of a Python function (process mode)")
    flags.add_argument("--code", type=Path, default=Path("."), help="its code folder (default .)")
    flags.add_argument("--image", help="a function image in the local Docker (container mode)")
    flags.add_argument(
        "--schedule",
        action="append",
        default=[],
        metavar="EXPR",
        help="fire it on rate(...)/cron(...)/at(...) (repeatable)",
    )
    flags.add_argument(
        "--sqs",
        action="append",
        default=[],
        metavar="QUEUE",
        help="poll this queue (URL, ARN, or a name created locally; repeatable)",
    )


def _usage(args: argparse.Namespace) -> str | None:
    if args.template and (args.handler or args.image):
        return "give a TEMPLATE or --handler/--image, not both"
    if args.handler and args.image:
        return "give --handler (process mode) or --image (container mode), not both"
    if (args.schedule or args.sqs) and not (args.handler or args.image):
        return "--schedule and --sqs go with --handler or --image (a template has its events)"
    for item in args.import_value:
        if not item.partition("=")[0] or "=" not in item:
            return f"--import-value {item!r}: write EXPORT=VALUE (e.g. shared-VpcId=vpc-123)"
    if args.max_concurrency < 1:
        return "--max-concurrency must be at least 1"
    if not args.retry_delay_scale > 0:
        return "--retry-delay-scale must be more than 0 (e.g. 0.001 in tests)"
    for option, port in (("--port", args.port), ("--http-port", args.http_port)):
        if not 0 <= port <= 65535:
            return f"{option} must be a port number (0 picks a free one)"
    return None


def _say(line: str) -> None:
    sys.stderr.write(f"lambdabox up: {line}\n")
    sys.stderr.flush()


def run(args: argparse.Namespace) -> int:
    from lambdabox.app.errors import AppError
    from lambdabox.app.serve import app_config, serve
    from lambdabox.template import TemplateError

    problem = _usage(args)
    if problem is not None:
        _say(f"usage: {problem}")
        return 2
    try:
        loops.check(args.event_loop)
    except loops.LoopUnavailable as exc:
        _say(str(exc))
        return 1
    out = sys.stderr if args.json else sys.stdout

    def echo(text: str) -> None:
        out.write(text + "\n")
        out.flush()

    try:
        config = app_config(args, _say, echo)
    except (TemplateError, AppError) as exc:
        _say(str(exc))
        return 1
    try:
        status: int = loops.run(serve(config, args.json, _say), args.event_loop)
        return status
    except (TemplateError, AppError) as exc:
        _say(str(exc))
        return 1
    except KeyboardInterrupt:
        return 0
