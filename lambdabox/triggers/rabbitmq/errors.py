"""The RabbitMQ mapping's exceptions: each message names the fix."""

from __future__ import annotations


class RabbitMQError(Exception):
    """Base of the RabbitMQ mapping's errors."""


class MappingConfigError(RabbitMQError, ValueError):
    """An `MQ` event or EventSourceMapping that cannot run as written."""


class BrokerError(RabbitMQError):
    """The broker cannot be reached, or a queue the mapping consumes is missing."""
