import os


def handler(event, context):
    print("report run", event)
    return {"kind": event.get("kind"), "hello": os.environ["HELLO_ARN"]}
