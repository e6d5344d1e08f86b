import time

time.sleep(5)


def handler(event, context):
    return "never"
