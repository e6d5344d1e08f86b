"""Triggers: what turns something happening into an invocation of a function.

One sub-package per kind of trigger (HTTP routes and function URLs, schedules, queue and
stream pollers), each built against the ports in `lambdabox.triggers.ports`: a trigger reads
its declarations from the resolved `lambdabox.template.Template`, invokes functions through
a `FunctionInvoker`, and is started and closed by the application (`lambdabox.app`).

May import: `lambdabox.template`, `lambdabox.emulator` (its invocation types), `lambdabox.services`
and the standard library and declared dependencies. Never `lambdabox.app` nor the CLI.
"""
