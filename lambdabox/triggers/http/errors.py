"""The HTTP front's exception hierarchy: each message names what is wrong and the fix."""

from __future__ import annotations


class HttpTriggerError(Exception):
    """Base class of the HTTP front's errors."""


class DeclarationError(HttpTriggerError):
    """A template declares an HTTP trigger the front cannot serve (resource, property, fix)."""

    def __init__(self, where: str, problem: str, fix: str) -> None:
        super().__init__(f"{where}: {problem}; {fix}")
        self.where = where
