"""The schedule package's errors: one hierarchy, messages that quote the expression."""

from __future__ import annotations


class ScheduleError(Exception):
    """Base of every error of `lambdabox.triggers.schedule`."""


class InvalidExpression(ScheduleError, ValueError):
    """A schedule expression (or its time zone, start or end) is malformed.

    The message quotes the expression, says what is wrong and how to write it instead.
    """

    def __init__(self, expression: str, problem: str) -> None:
        self.expression = expression
        self.problem = problem
        super().__init__(f"invalid schedule expression {expression!r}: {problem}")


class InvalidScheduleResource(ScheduleError):
    """A template declares a schedule lambdabox cannot run (names the resource and the fix)."""
