import os
import shared


def handler(event, context):
    return {
        "fn": context.function_name,
        "greeting": os.environ["GREETING"],
        "orders": os.environ["ORDERS_ARN"],
        "shared": shared.VALUE,
        "event": event,
    }
