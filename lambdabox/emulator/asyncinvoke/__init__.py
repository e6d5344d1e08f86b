"""Asynchronous (Event) invocation as the Lambda service runs it.

Holds the per-function queue (`AsyncInvoker`: retries with the service's delays, event
age, throttled events waiting for an environment), the service's invocation records and
dead-letter messages, the SQLite journal that makes accepted events survive a restart
(`--state-dir`), and the `DestinationSink` port through which records leave the emulator
(the application implements it). May import the rest of `lambdabox.emulator` and the
standard library; never `lambdabox.triggers`, `lambdabox.app` nor the CLI.
"""

from lambdabox.emulator.asyncinvoke.dispatcher import AsyncInvoker
from lambdabox.emulator.asyncinvoke.journal import Journal, JournalError, QueuedEvent
from lambdabox.emulator.asyncinvoke.ports import DeadLetterSink, DestinationSink, MessageAttribute

__all__ = [
    "AsyncInvoker",
    "DeadLetterSink",
    "DestinationSink",
    "Journal",
    "JournalError",
    "MessageAttribute",
    "QueuedEvent",
]
