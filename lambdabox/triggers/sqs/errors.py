"""The SQS package's exceptions; every message names the resource, the property and the fix."""

from __future__ import annotations


class SqsError(RuntimeError):
    """Base of the SQS event source's errors."""


class SqsConfigError(SqsError, ValueError):
    """A declaration the Lambda service would refuse (CreateEventSourceMapping's checks)."""


class SqsEndpointError(SqsError):
    """The SQS endpoint refused or could not be reached (queue missing, bad credentials...)."""
