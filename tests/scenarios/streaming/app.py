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


def gated(event, context):
    """Yields a chunk, then waits for the caller to create the gate file before the next:
    it can only finish if each chunk reaches the caller before the next one is made."""
    import os

    def gen():
        for i in range(2):
            gate = f"{event['gate']}.{i}"
            yield f"part-{i};"
            deadline = time.monotonic() + 10
            while not os.path.exists(gate):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{gate} never appeared: chunk {i} was not relayed")
                time.sleep(0.01)

    return gen()
