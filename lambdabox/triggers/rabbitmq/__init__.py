"""RabbitMQ (Amazon MQ for RabbitMQ) event source mappings.

Holds the `MQ` event / EventSourceMapping reader (`config`), the `aws:rmq` event (`event`),
the running mapping (`consumer`: consume, batch, invoke, acknowledge or requeue), the broker
it uses (`broker`: `settings.rabbitmq_url`, else a local rabbitmq-server), and pytest helpers
(`testing`). May import `lambdabox.triggers.ports`, `lambdabox.triggers.filters`,
`lambdabox.template`, `lambdabox.services` and aiormq; nothing above the triggers layer.
"""

from __future__ import annotations

from lambdabox.template.model import Template
from lambdabox.triggers.ports import AppSettings, FunctionInvoker, Trigger
from lambdabox.triggers.rabbitmq.broker import Broker
from lambdabox.triggers.rabbitmq.config import MqMapping, mappings
from lambdabox.triggers.rabbitmq.consumer import RabbitMQMapping
from lambdabox.triggers.rabbitmq.errors import BrokerError, MappingConfigError, RabbitMQError
from lambdabox.triggers.rabbitmq.records import BatchRecord

__all__ = [
    "BatchRecord",
    "BrokerError",
    "MappingConfigError",
    "MqMapping",
    "RabbitMQError",
    "RabbitMQMapping",
    "triggers",
]


def triggers(template: Template, invoker: FunctionInvoker, settings: AppSettings) -> list[Trigger]:
    """One running mapping per `MQ` event and Amazon MQ EventSourceMapping of the template.

    They share one broker: `settings.rabbitmq_url`, or a local rabbitmq-server started when
    the first mapping starts (and stopped when the last one closes)."""
    found = list(mappings(template))
    if not found:
        return []
    broker = Broker(settings.rabbitmq_url)
    return [RabbitMQMapping(m, invoker, settings, broker) for m in found]
