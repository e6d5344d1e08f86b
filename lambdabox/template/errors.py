"""Errors of the template package: one hierarchy, each message naming where and the fix."""

from __future__ import annotations


class TemplateError(ValueError):
    """The template cannot be read or resolved; the message names the place and the fix."""

    def __init__(self, message: str, *, where: str = "", fix: str = "") -> None:
        self.where = where
        self.fix = fix
        text = f"{where}: {message}" if where else message
        if fix:
            text = f"{text}; {fix}"
        super().__init__(text)


class TemplateSyntaxError(TemplateError):
    """The file is not valid YAML/JSON or not a template at all."""


class ParameterError(TemplateError):
    """A parameter override is malformed, unknown or not an allowed value."""


class ResolveError(TemplateError):
    """An intrinsic function cannot be resolved (unknown name, wrong argument type)."""
