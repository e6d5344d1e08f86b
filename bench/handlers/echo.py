from typing import Any


def handler(event: Any, context: Any) -> Any:
    return event


def small(event: Any, context: Any) -> Any:
    return {"ok": True}
