def handler(event, context):
    return event


def small(event, context):
    return {"ok": True}
