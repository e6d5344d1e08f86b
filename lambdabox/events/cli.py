"""`lambdabox event`: print a sample event for a trigger, edited with --set."""

from __future__ import annotations

import argparse
import json
import sys

from lambdabox import events

DESCRIPTION = """\
Print a sample event for SOURCE as JSON, in the shape AWS documents for that trigger,
ready for `lambdabox invoke --event FILE` or a test. --set edits it.

examples:
  lambdabox event --list
  lambdabox event s3-put --set Records.0.s3.object.key=photos/cat.jpg > event.json
  lambdabox event apigateway-http --set requestContext.http.method=GET --set body=null
  lambdabox event sqs --set 'Records.1.body={"orderId": "7"}' --compact

--set PATH=VALUE: PATH is dotted, list items are numbers (Records.0.body). VALUE is
parsed as JSON when it parses (42, true, null, {"a": 1}), else taken as a string. Fields
the service always sends as text stay text: the body, header, query string and path
parameter values of HTTP events (API Gateway, function URLs, ALB), an SQS body and an SNS
Message take VALUE verbatim (body={"a":1} gives the string '{"a":1}'); only null is
parsed. PATH must exist in the sample, except new names in maps (headers, query string,
path parameters, message attributes, EventBridge detail) and optional HTTP fields (body,
cookies, ...); otherwise the error names the longest prefix that exists.
exit statuses: 0 printed, 2 usage error (unknown SOURCE, bad --set)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", nargs="?", metavar="SOURCE", help="the trigger, see --list")
    parser.add_argument(
        "--list", action="store_true", help="print the sources, one per line, and exit"
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        dest="overrides",
        help="change one field (repeatable)",
    )
    parser.add_argument("--compact", action="store_true", help="print the event on one line")


def run(args: argparse.Namespace) -> int:
    if args.list:
        if args.source or args.overrides:
            sys.stderr.write("lambdabox event: --list takes no SOURCE or --set\n")
            return 2
        for name in events.names():
            sys.stdout.write(f"{name}\t{events.describe(name)}\n")
        return 0
    if not args.source:
        sys.stderr.write(
            "lambdabox event: name a SOURCE; `lambdabox event --list` shows the sources\n"
        )
        return 2
    try:
        overrides = dict(events.parse_assignment(item) for item in args.overrides)
        event = events.sample(args.source, overrides)
    except events.EventError as exc:
        sys.stderr.write(f"lambdabox event: {exc}\n")
        return 2
    if args.compact:
        sys.stdout.write(json.dumps(event, separators=(",", ":")) + "\n")
    else:
        sys.stdout.write(json.dumps(event, indent=2) + "\n")
    return 0
