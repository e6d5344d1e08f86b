import time


def handler(event, context):
    def gen():
        for i in range(event.get("chunks", 3)):
            yield f"chunk-{i}\n"
            time.sleep(event.get("gap", 0.2))
        if event.get("fail_after"):
            raise ValueError("stream broke")

    return gen()


def fails_first(event, context):
    def gen():
        raise TypeError("no chunk at all")
        yield b""

    return gen()


def mixed(event, context):
    return iter([b"bytes;", "text;", {"json": 1}])
