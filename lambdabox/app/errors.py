"""Errors of the application package; each message names the function, property and fix."""

from __future__ import annotations


class AppError(Exception):
    """The application cannot be started as asked; the message says what to change."""


class FunctionSpecError(AppError):
    """A function's resource has a value lambdabox cannot run (names resource and property)."""

    def __init__(self, function: str, prop: str, problem: str, fix: str) -> None:
        super().__init__(f"Resources.{function}.Properties.{prop}: {problem}; {fix}")
