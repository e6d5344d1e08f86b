CONFIG = {}
VALUE = CONFIG["missing"]


def handler(event, context):
    return VALUE
