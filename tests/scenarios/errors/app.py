class CustomError(Exception):
    pass


def _inner():
    raise CustomError("something went wrong: ü")


def handler(event, context):
    if event.get("fail"):
        _inner()
    return "ok"


def exits(event, context):
    raise SystemExit(3)
