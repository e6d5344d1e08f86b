"""`lambdabox up` at work: settings from the arguments, then the application served until
SIGINT/SIGTERM (listing printed, edits reloaded, everything stopped and removed)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lambdabox.app.application import Application
from lambdabox.app.config import AppConfig
from lambdabox.app.errors import AppError
from lambdabox.app.listing import document, lines
from lambdabox.app.reload import Reloader


def app_config(
    args: argparse.Namespace, say: Callable[[str], None], echo: Callable[[str], None]
) -> AppConfig:
    """The application's settings from `lambdabox up`'s arguments (a template, or flags)."""
    from lambdabox.app.synth import synthesise
    from lambdabox.template import find_template, parse_overrides

    common: dict[str, Any] = {
        "overrides": parse_overrides(args.parameter_overrides),
        "import_values": dict(item.split("=", 1) for item in args.import_value),
        "mode": args.mode,
        "host": args.host,
        "port": args.port,
        "http_port": args.http_port,
        "functions": tuple(args.function),
        "env_vars": args.env_vars,
        "max_environments": args.max_concurrency,
        "retry_delay_scale": args.retry_delay_scale,
        "state_dir": args.state_dir,
        "sqs_endpoint": args.sqs_endpoint,
        "rabbitmq_url": args.rabbitmq_url,
        "region": args.region,
        "stack_name": args.stack_name,
        "account_id": args.account_id,
        "log_level": args.log_level,
        "watch": not args.no_watch,
        "say": say,
        "echo_logs": echo,
        "debug": say if args.log_level == "debug" else (lambda _line: None),
    }
    if args.handler or args.image:
        doc = synthesise(
            handler=args.handler,
            image=args.image,
            code=args.code,
            schedules=args.schedule,
            queues=args.sqs,
            region=args.region,
        )
        return AppConfig(template=Path.cwd() / "(lambdabox up flags)", document=doc, **common)
    return AppConfig(template=find_template(args.template), **common)


async def serve(config: AppConfig, as_json: bool, say: Callable[[str], None]) -> int:
    """Start the application, print its listing, reload on edits, stop on SIGINT/SIGTERM."""
    app = Application(config)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    reloader: Reloader | None = None
    try:
        try:
            await app.start()
        except OSError as exc:
            raise AppError(f"cannot start: {exc}") from None
        doc = document(app)
        if as_json:
            sys.stdout.write(json.dumps(doc, indent=2) + "\n")
            sys.stdout.flush()
        else:
            sys.stdout.write("\n".join(lines(doc)) + "\n")
            sys.stdout.flush()
            say("running; Ctrl-C stops")
        if config.watch:
            reloader = Reloader(app, loop, say)
            reloader.start()
        await stop.wait()
    finally:
        if reloader is not None:
            reloader.close()
        await app.close()
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(Exception):
                loop.remove_signal_handler(signum)
    return 0
