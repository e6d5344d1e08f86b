from decimal import Decimal


def handler(event, context):
    kind = event["kind"] if isinstance(event, dict) else "raw"
    if kind == "raw":
        return {"type": type(event).__name__, "value": event.decode("latin-1")}
    if kind == "bytes":
        return b"\x00\x01binary\xff"
    if kind == "decimal":
        return {"price": Decimal("19.990"), "nan": Decimal("NaN"), "list": [Decimal("1E+2")]}
    if kind == "unicode":
        return {"text": event["text"], "emoji": "\U0001f600"}
    if kind == "unserializable":
        return {1, 2}
    if kind == "none":
        return None
    if kind == "string":
        return "plain"
    raise ValueError(kind)
